import { QUEUES, type QueueName } from '../src/queue/names';
import { bronzeJob } from './bronze';
import { goldJob } from './gold';
import type { JobKind } from './job-kind';
import { silverJob } from './silver';

const KINDS: JobKind[] = [bronzeJob, silverJob, goldJob] as JobKind[];

/** The handler of each queue. Refuses to start when a queue has no handler or two. */
export function handlersByQueue(kinds: JobKind[] = KINDS): Map<QueueName, JobKind> {
  const map = new Map<QueueName, JobKind>();
  for (const k of kinds) {
    if (map.has(k.queue)) throw new Error(`two job kinds handle queue ${k.queue}`);
    map.set(k.queue, k);
  }
  for (const q of QUEUES) if (!map.has(q)) throw new Error(`no job kind handles queue ${q}`);
  return map;
}
