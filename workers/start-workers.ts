import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createRedis } from '../src/queue/connection';
import type { QueueName } from '../src/queue/names';
import { isRetryable } from '../src/errors/classify';
import { redact } from '../src/errors/redact';
import { failRun } from '../src/pipeline/finish-run';
import type { Runtime } from '../src/runtime';
import { handlersByQueue } from './registry';

export interface WorkerGroup {
  workers: Worker[];
  /** Stops taking jobs, lets active ones finish within graceMs, then closes. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts one BullMQ Worker per queue in this process. Payloads are parsed by zod before any work;
 * an error that retrying cannot fix becomes UnrecoverableError, so it never burns retries; a job's
 * final failure fails its run in meta.runs.
 */
export function startWorkers(rt: Runtime, opts: { queues: QueueName[]; concurrency: number }): WorkerGroup {
  const handlers = handlersByQueue();
  const workers = opts.queues.map((queue) => {
    const kind = handlers.get(queue)!;
    const connection = createRedis(rt.config.redisUrl);
    const worker = new Worker(
      queue,
      async (job: Job) => {
        const parsed = kind.schema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`invalid ${queue} payload: ${parsed.error.message}`);
        const log = rt.logger.child({ runId: (job.data as { runId?: number }).runId, queue, jobId: job.id });
        const started = Date.now();
        try {
          const result = await kind.handler(rt, parsed.data, job);
          log.debug({ ms: Date.now() - started, result }, 'job done');
          return result;
        } catch (err) {
          const message = redact((err as Error).message);
          if (!isRetryable(err) && !(err instanceof UnrecoverableError)) {
            log.error({ err }, 'job failed permanently');
            throw new UnrecoverableError(message);
          }
          log.warn({ err, attempt: job.attemptsMade + 1 }, 'job failed; will retry');
          throw err;
        }
      },
      { connection, prefix: rt.config.queuePrefix, concurrency: opts.concurrency, autorun: true },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      const runId = (job.data as { runId?: number }).runId;
      if (final && runId) {
        failRun(rt.pool, runId, `${queue} job ${job.id} failed: ${err.message}`).catch((e) =>
          rt.logger.error({ err: e, runId }, 'could not mark the run failed'),
        );
      }
    });
    worker.on('error', (err) => rt.logger.error({ err, queue }, 'worker error'));
    return { worker, connection };
  });
  return {
    workers: workers.map((w) => w.worker),
    async close(graceMs = rt.config.shutdownGraceMs) {
      await Promise.all(
        workers.map(async ({ worker, connection }) => {
          const closing = worker.close();
          const timedOut = await Promise.race([closing.then(() => false), delay(graceMs).then(() => true)]);
          // Past the deadline: force-close; the active job's lock lapses and another worker takes it.
          if (timedOut) await worker.close(true);
          connection.disconnect();
        }),
      );
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
