import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../queue/connection';
import { MONITORED_QUEUES } from '../queue/names';
import { QUEUE_STATES, type QueueSnapshot, type QueueState } from './metrics';

export interface QueueReader {
  snapshot(): Promise<QueueSnapshot[]>;
  close(): Promise<void>;
}

/** Reads job counts, the oldest waiting job and the worker count of every MetaLayer queue. */
export function createQueueReader(redisUrl: string, prefix: string): QueueReader {
  const connection: Redis = createRedis(redisUrl);
  const queues = MONITORED_QUEUES.map((name) => new Queue(name, { connection, prefix }));
  return {
    async snapshot() {
      const now = Date.now();
      return Promise.all(
        queues.map(async (q) => {
          const [raw, oldest, workers] = await Promise.all([
            q.getJobCounts(...QUEUE_STATES),
            // asc = true: the job that has waited longest (the wait list is pushed on the left).
            q.getJobs(['waiting', 'prioritized'], 0, 0, true),
            q.getWorkersCount(),
          ]);
          const counts = Object.fromEntries(QUEUE_STATES.map((s) => [s, raw[s] ?? 0])) as Record<QueueState, number>;
          const first = oldest.filter(Boolean).map((j) => j.timestamp);
          const age = first.length > 0 ? Math.max(0, (now - Math.min(...first)) / 1000) : 0;
          return { queue: q.name, counts, oldestWaitingAgeSeconds: age, workers };
        }),
      );
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    },
  };
}
