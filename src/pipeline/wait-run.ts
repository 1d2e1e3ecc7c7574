import { Job, Queue, QueueEvents } from 'bullmq';
import { createRedis } from '../queue/connection';
import type { Runtime } from '../runtime';
import { failRun } from './finish-run';

/**
 * A parent failed by its child says only "child <prefix>:<queue>:<id> failed". Follows such
 * reasons down the flow to the job that failed for its own reason, and names it as the worker
 * that ran it does: the run's message is the root cause whichever of the two records it first.
 */
async function rootCause(rt: Runtime, connection: ReturnType<typeof createRedis>, message: string): Promise<string> {
  let text = message;
  for (let depth = 0; depth < 4; depth++) {
    const child = /child (\S+) failed$/.exec(text)?.[1];
    if (!child) break;
    const [queueName, id] = child.split(':').slice(-2);
    if (!queueName || !id) break;
    const queue = new Queue(queueName, { connection, prefix: rt.config.queuePrefix });
    try {
      const job = await Job.fromId(queue, id);
      if (!job?.failedReason) break;
      text = `${queueName} job ${id} failed: ${job.failedReason}`;
    } finally {
      await queue.close();
    }
  }
  return text;
}

/**
 * Waits until the run's gold job (the root of its flow) completes or fails. A failed child fails
 * the root (failParentOnFailure), so this never waits on a run that cannot finish. Returns
 * 'timeout' when timeoutMs passed first: the run goes on in the workers and is not marked failed.
 */
export async function waitForRun(rt: Runtime, runId: number, flowJobId: string, timeoutMs?: number): Promise<'finished' | 'timeout'> {
  const connection = createRedis(rt.config.redisUrl);
  const events = new QueueEvents('gold', { connection, prefix: rt.config.queuePrefix });
  const queueConnection = createRedis(rt.config.redisUrl);
  const queue = new Queue('gold', { connection: queueConnection, prefix: rt.config.queuePrefix });
  try {
    await events.waitUntilReady();
    const job = await Job.fromId(queue, flowJobId);
    if (!job) throw new Error(`the gold job ${flowJobId} of run ${runId} is gone from Redis`);
    await job.waitUntilFinished(events, timeoutMs);
    return 'finished';
  } catch (err) {
    const message = (err as Error).message;
    if (timeoutMs !== undefined && /timed out before finishing/.test(message)) return 'timeout';
    await failRun(rt.pool, runId, await rootCause(rt, queueConnection, message));
    return 'finished';
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
    queueConnection.disconnect();
  }
}
