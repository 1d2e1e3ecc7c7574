import { createHash } from 'node:crypto';
import path from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error';
import { createRedis } from '../queue/connection';
import { SCHEDULE_QUEUE } from '../queue/names';
import type { Runtime } from '../runtime';
import { scanLanding, type ScanResult } from './scan-landing';

const TickPayload = z.strictObject({ inputDir: z.string().startsWith('/') });

export interface RunningScheduler {
  schedulerId: string;
  close(): Promise<void>;
}

/** The scheduler's id depends only on the folder: restarts and replicas upsert the same one. */
export function schedulerIdFor(inputDir: string): string {
  return `scan-${createHash('sha256').update(inputDir).digest('hex').slice(0, 16)}`;
}

/** Attempts at upserting the schedule while the next occurrence's tick job already exists. */
const COLLISION_ATTEMPTS = 4;

/**
 * Upserts the job scheduler for `opts.cron`. An error that names a job id that exists already is
 * BullMQ finding the tick job of the next occurrence in Redis (SchedulerJobIdCollision): another
 * process of this scheduler made it, or the one that stopped just now did, and it is no longer
 * waiting (it ran, or runs) — seen when a scheduler restarts within the second of a one-second
 * cron. That is not a bad cron expression: tried again a moment later (the next occurrence moves
 * on), and if it persists, the schedule already in Redis is kept when it has this cron. Any other
 * error is the cron expression's.
 */
export async function upsertSchedule(
  rt: Runtime,
  queue: Queue,
  schedulerId: string,
  opts: { inputDir: string; cron: string },
  retryDelayMs = 400,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.upsertJobScheduler(
        schedulerId,
        { pattern: opts.cron },
        {
          name: 'scan',
          data: { inputDir: opts.inputDir },
          opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
        },
      );
      return;
    } catch (err) {
      const message = (err as Error).message;
      if (!/job ID already exists/.test(message)) {
        throw new ConfigError(`cannot schedule "${opts.cron}": ${message}. Use a cron expression such as "*/5 * * * *" (5 fields, or 6 with seconds first).`);
      }
      if (attempt < COLLISION_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
        continue;
      }
      const existing = await queue.getJobScheduler(schedulerId);
      if (existing?.pattern === opts.cron) {
        rt.logger.warn({ schedulerId, cron: opts.cron, next: existing.next }, 'schedule kept as it is in Redis: its next tick job exists already');
        return;
      }
      throw new Error(
        `cannot schedule "${opts.cron}": the tick job of its next occurrence exists already in Redis and the schedule there is ` +
          `${existing ? `"${existing.pattern ?? existing.every}"` : 'missing'}; ${message}. Start the scheduler again in a moment.`,
        { cause: err },
      );
    }
  }
}

/**
 * `metalayer scheduler`: upserts a BullMQ job scheduler that adds one tick job per cron
 * occurrence (deploy-safe: the same id from every process, so no duplicates), and serves the
 * ticks — each scans the landing folder and starts a run for new files. Any number of scheduler
 * processes may run; BullMQ gives each tick to one of them.
 */
export async function startScheduler(rt: Runtime, opts: { inputDir: string; cron: string; onTick?: (r: ScanResult) => void }): Promise<RunningScheduler> {
  const connection = createRedis(rt.config.redisUrl);
  const queue = new Queue(SCHEDULE_QUEUE, { connection, prefix: rt.config.queuePrefix });
  const schedulerId = schedulerIdFor(opts.inputDir);
  try {
    await upsertSchedule(rt, queue, schedulerId, opts);
  } catch (err) {
    await queue.close();
    connection.disconnect();
    throw err;
  }
  const workerConnection = createRedis(rt.config.redisUrl);
  const worker = new Worker(
    SCHEDULE_QUEUE,
    async (job: Job) => {
      const p = TickPayload.safeParse(job.data);
      if (!p.success) throw new UnrecoverableError(`invalid tick payload: ${p.error.message}`);
      // A tick names its folder; this process scans only the landing folder it was started with,
      // so a forged job cannot point it at another path.
      if (path.resolve(p.data.inputDir) !== opts.inputDir) {
        throw new UnrecoverableError(`tick for ${p.data.inputDir} refused: this scheduler serves only its landing folder ${opts.inputDir}`);
      }
      const asOf = new Date().toISOString().slice(0, 10);
      const result = await scanLanding(rt, p.data.inputDir, asOf);
      if (result.runId !== null) rt.logger.info({ runId: result.runId, newFiles: result.newFiles, jobId: job.id }, 'tick: run started for new files');
      else rt.logger.debug({ jobId: job.id }, 'tick: nothing new');
      opts.onTick?.(result);
      return result;
    },
    { connection: workerConnection, prefix: rt.config.queuePrefix, concurrency: 1 },
  );
  worker.on('error', (err) => rt.logger.error({ err }, 'scheduler worker error'));
  worker.on('failed', (job, err) => rt.logger.error({ err, jobId: job?.id }, 'tick failed'));
  rt.logger.info({ schedulerId, cron: opts.cron, inputDir: opts.inputDir }, 'scheduler started');
  return {
    schedulerId,
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
      workerConnection.disconnect();
    },
  };
}
