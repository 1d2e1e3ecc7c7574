/**
 * The queue's share of a run, from BullMQ's own record of its jobs (bench/run.ts reads them before
 * it obliterates the bench's queues): for each worker process, its jobs' time against the run's
 * wall time; and for the run, how long jobs waited once ready (a bronze chunk from when it was
 * added, a parent job from when its last child finished): in all (the backlog: every chunk of a
 * run is queued at once, and waits for a worker), and beyond the moment the worker that took it
 * was free for its queue (the dispatch: polling, Redis, locks; the queue's own overhead).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../src/queue/names';

/** One completed job: when it was ready, when a worker took it, when it finished (epoch ms). */
export interface JobTiming {
  id: string;
  queue: string;
  /** The worker process that ran it (BullMQ's `processedBy`: `host:pid`, src/queue/worker-id.ts). */
  worker: string;
  readyAt: number;
  processedOn: number;
  finishedOn: number;
}

export interface WorkerTime {
  worker: string;
  jobs: number;
  /** The sum of its jobs' times (one job per queue at a time: up to three at once). */
  jobSeconds: number;
  /** The run's wall time minus jobSeconds, as the issue defines the queue overhead; negative when the worker ran jobs of several queues at once. */
  overheadSeconds: number;
  /** How long at least one of its jobs was running. */
  busySeconds: number;
  /** The run's wall time with none of its jobs running: waiting for work, for the queue, for another worker's step. */
  idleSeconds: number;
}

/** Waits of the run's jobs: how many jobs, the total and the longest wait, and whose. */
export interface Waits {
  jobs: number;
  totalSeconds: number;
  longestSeconds: number;
  longestJob: string | null;
}

export interface QueueOverhead {
  perWorker: WorkerTime[];
  /** From ready to taken by a worker: the backlog's waits, which more workers shorten. */
  queued: Waits;
  /** From ready with the worker that took it free for its queue (one job per queue at a time) to taken: the queue's own delay. */
  dispatch: Waits;
}

function waits(jobs: readonly JobTiming[], waitMs: (j: JobTiming) => number): Waits {
  let totalMs = 0;
  let longest: { id: string; ms: number } | null = null;
  for (const j of jobs) {
    const ms = Math.max(0, waitMs(j)); // a job taken before its recorded readiness (clocks of two hosts): no wait
    totalMs += ms;
    if (!longest || ms > longest.ms) longest = { id: j.id, ms };
  }
  return { jobs: jobs.length, totalSeconds: totalMs / 1000, longestSeconds: (longest?.ms ?? 0) / 1000, longestJob: longest?.id ?? null };
}

/** The length of the union of [start, end) intervals. */
function unionMs(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const [s, e] of sorted) {
    if (s > to) {
      if (to > from) total += to - from;
      [from, to] = [s, e];
    } else if (e > to) to = e;
  }
  if (to > from) total += to - from;
  return total;
}

/** The jobs grouped by `key`, each group in the jobs' order. */
function groupBy(jobs: readonly JobTiming[], key: (j: JobTiming) => string): Map<string, JobTiming[]> {
  const groups = new Map<string, JobTiming[]>();
  for (const j of jobs) {
    const k = key(j);
    const group = groups.get(k);
    if (group) group.push(j);
    else groups.set(k, [j]);
  }
  return groups;
}

/** Per worker and for the run, from the run's completed jobs and its wall time. */
export function queueOverhead(jobs: readonly JobTiming[], wallSeconds: number): QueueOverhead {
  const perWorker = [...groupBy(jobs, (j) => j.worker)].map(([worker, js]): WorkerTime => {
    const jobSeconds = js.reduce((n, j) => n + (j.finishedOn - j.processedOn), 0) / 1000;
    const busySeconds = unionMs(js.map((j) => [j.processedOn, j.finishedOn])) / 1000;
    return { worker, jobs: js.length, jobSeconds, overheadSeconds: wallSeconds - jobSeconds, busySeconds, idleSeconds: wallSeconds - busySeconds };
  });
  perWorker.sort((a, b) => a.worker.localeCompare(b.worker));
  // When the worker that took each job last finished a job of the same queue before it.
  const freeAt = new Map<JobTiming, number>();
  for (const lane of groupBy(jobs, (j) => `${j.worker}\u0000${j.queue}`).values()) {
    lane.sort((a, b) => a.processedOn - b.processedOn);
    lane.forEach((j, i) => freeAt.set(j, i === 0 ? Number.NEGATIVE_INFINITY : lane[i - 1]!.finishedOn));
  }
  return {
    perWorker,
    queued: waits(jobs, (j) => j.processedOn - j.readyAt),
    dispatch: waits(jobs, (j) => j.processedOn - Math.max(j.readyAt, freeAt.get(j)!)),
  };
}

/**
 * The completed jobs of run `runId` in the queues under `prefix` (ids `run-<run>-…`,
 * src/queue/job-ids.ts), each ready when added, or, for a parent, when its last child finished.
 */
export async function readJobTimings(prefix: string, runId: number): Promise<JobTiming[]> {
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  try {
    const found: { id: string; queue: string; worker: string; added: number; processedOn: number; finishedOn: number; parent?: string }[] = [];
    for (const name of QUEUES) {
      const q = new Queue(name, { connection, prefix });
      try {
        for (const job of await q.getJobs(['completed'], 0, -1)) {
          if (!job?.id?.startsWith(`run-${runId}-`) || !job.processedOn || !job.finishedOn) continue;
          found.push({
            id: job.id,
            queue: name,
            worker: job.processedBy ?? 'unknown',
            added: job.timestamp,
            processedOn: job.processedOn,
            finishedOn: job.finishedOn,
            parent: job.parent?.id,
          });
        }
      } finally {
        await q.close();
      }
    }
    const lastChild = new Map<string, number>();
    for (const j of found) if (j.parent) lastChild.set(j.parent, Math.max(lastChild.get(j.parent) ?? 0, j.finishedOn));
    return found.map((j) => ({
      id: j.id,
      queue: j.queue,
      worker: j.worker,
      readyAt: lastChild.get(j.id) ?? j.added,
      processedOn: j.processedOn,
      finishedOn: j.finishedOn,
    }));
  } finally {
    connection.disconnect();
  }
}
