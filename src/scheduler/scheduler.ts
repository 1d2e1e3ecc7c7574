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
    await queue.upsertJobScheduler(
      schedulerId,
      { pattern: opts.cron },
      {
        name: 'scan',
        data: { inputDir: opts.inputDir },
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
      },
    );
  } catch (err) {
    await queue.close();
    connection.disconnect();
    throw new ConfigError(`cannot schedule "${opts.cron}": ${(err as Error).message}. Use a cron expression such as "*/5 * * * *" (5 fields, or 6 with seconds first).`);
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
