import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { createRedis } from '../src/queue/connection';
import type { QueueName } from '../src/queue/names';
import { WORKER_ID } from '../src/queue/worker-id';
import { isRetryable } from '../src/errors/classify';
import { redact } from '../src/errors/redact';
import type { WorkerMetrics } from '../src/metrics/metrics';
import { failRun } from '../src/pipeline/finish-run';
import type { Runtime } from '../src/runtime';
import { DeferJob } from './defer-job';
import { handlersByQueue } from './registry';
import { createParentResumer } from './resume-parent';

export interface WorkerGroup {
  workers: Worker[];
  /**
   * Starts no more jobs from now on: a job this process fetched but has not started goes back to
   * its queue, for another worker, without using an attempt. close() does it first too; a stop
   * signal calls it at once, before the close begins (BullMQ starts the jobs it fetched already).
   */
  stopTaking(): void;
  /**
   * Stops taking jobs, lets active ones finish within graceMs, then closes. `forced`: some job was
   * still running at the deadline and was released (its lock lapses; another worker takes it).
   */
  close(graceMs?: number): Promise<{ forced: boolean }>;
}

/**
 * Starts one BullMQ Worker per queue in this process. Payloads are parsed by zod before any work;
 * an error that retrying cannot fix becomes UnrecoverableError, so it never burns retries; a job's
 * final failure fails its run in meta.runs. With metrics, every job is timed and counted.
 */
export function startWorkers(rt: Runtime, opts: { queues: QueueName[]; concurrency: number; metrics?: WorkerMetrics }): WorkerGroup {
  const handlers = handlersByQueue();
  const { metrics } = opts;
  let stopping = false;
  const resumerConnection = createRedis(rt.config.redisUrl);
  const resumer = createParentResumer(rt, resumerConnection);
  const workers = opts.queues.map((queue) => {
    const kind = handlers.get(queue)!;
    const connection = createRedis(rt.config.redisUrl);
    const worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        const parsed = kind.schema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`invalid ${queue} payload: ${parsed.error.message}`);
        const log = rt.logger.child({ runId: (job.data as { runId?: number }).runId, queue, jobId: job.id });
        if (stopping) {
          log.debug('job handed back: this worker is stopping');
          await job.moveToWait(token);
          throw new WaitingError();
        }
        const started = Date.now();
        log.debug('job started');
        const stopTimer = metrics?.jobDuration.startTimer({ queue });
        try {
          const result = await kind.handler(rt, parsed.data, job);
          stopTimer?.({ outcome: 'completed' });
          if (metrics) for (const c of kind.rowCounts(result)) metrics.rows.inc({ source: c.source, layer: c.layer, outcome: c.outcome }, c.n);
          log.info({ ms: Date.now() - started, result }, 'job done');
          return result;
        } catch (err) {
          if (err instanceof DeferJob) {
            log.debug({ ms: err.ms, reason: err.message }, 'job deferred');
            await job.moveToDelayed(Date.now() + err.ms, token);
            throw new DelayedError();
          }
          const message = redact((err as Error).message);
          const willRetry = isRetryable(err) && !(err instanceof UnrecoverableError) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
          stopTimer?.({ outcome: willRetry ? 'retried' : 'failed' });
          if (willRetry) metrics?.retries.inc({ queue });
          if (!isRetryable(err) && !(err instanceof UnrecoverableError)) {
            log.error({ err }, 'job failed permanently');
            throw new UnrecoverableError(message);
          }
          log.warn({ err, attempt: job.attemptsMade + 1 }, willRetry ? 'job failed; will retry' : 'job failed; no attempts left');
          throw err;
        }
      },
      {
        connection,
        prefix: rt.config.queuePrefix,
        // Each job it processes records this process (`processedBy`), as the ledger does its chunks.
        name: WORKER_ID,
        concurrency: opts.concurrency,
        autorun: true,
        // How soon a job whose worker died is noticed and handed to another worker.
        lockDuration: rt.config.lockMs,
        stalledInterval: rt.config.lockMs,
      },
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
    worker.on('completed', (job) => {
      resumer.resume(job).catch((err) => rt.logger.error({ err, queue, jobId: job.id }, 'could not resume the parent job'));
    });
    worker.on('stalled', (jobId) => {
      metrics?.stalled.inc({ queue });
      rt.logger.warn({ queue, jobId }, 'stalled job moved back to wait (its worker died or lost its lock)');
    });
    worker.on('error', (err) => rt.logger.error({ err, queue }, 'worker error'));
    return { worker, connection };
  });
  return {
    workers: workers.map((w) => w.worker),
    stopTaking() {
      stopping = true;
    },
    async close(graceMs = rt.config.shutdownGraceMs) {
      stopping = true;
      const forced = await Promise.all(
        workers.map(async ({ worker, connection }) => {
          const closing = worker.close();
          const timedOut = await Promise.race([closing.then(() => false), delay(graceMs).then(() => true)]);
          // Past the deadline: force-close; the active job's lock lapses and another worker takes it.
          // close(true) still waits for the running handler in some cases: give it a second, no more.
          if (timedOut) await Promise.race([worker.close(true).catch(() => {}), delay(1000)]);
          connection.disconnect();
          return timedOut;
        }),
      );
      await resumer.close();
      resumerConnection.disconnect();
      return { forced: forced.some(Boolean) };
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
