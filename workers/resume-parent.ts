import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { dimensionsAreReady, goldIsReady, readRunReadiness, silverIsReady } from '../src/pipeline/readiness';
import { failedByChild, markRunResumed } from '../src/pipeline/finish-run';
import { GoldPayload, SilverPayload } from '../src/queue/payloads';
import type { Runtime } from '../src/runtime';

/**
 * After a retried job completes, moves its failed parent back to work once the parent's input is
 * complete. Why: a child that fails for good fails its parent (failParentOnFailure), and BullMQ
 * does not move a failed parent back when the child is retried and succeeds. With this, an
 * operator who fixes the cause and retries the failed job in Bull Board sees the run finish.
 * Readiness comes from the ledger and meta.steps, so a parent is retried only when every sibling
 * is done; when two siblings finish at once, only one retry wins (the other finds it not failed).
 * A parent that failed for its own reason is left to the operator.
 */
export function createParentResumer(rt: Runtime, connection: Redis): { resume(job: Job): Promise<void>; close(): Promise<void> } {
  const queues = new Map<string, Queue>();
  const queueFor = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix: rt.config.queuePrefix });
      queues.set(name, q);
    }
    return q;
  };
  return {
    async resume(job) {
      const parentRef = job.parent;
      if (!parentRef) return;
      const queueName = parentRef.queueKey.slice(rt.config.queuePrefix.length + 1);
      if (!parentRef.id) return;
      const parent = await Job.fromId(queueFor(queueName), parentRef.id);
      if (!parent || (await parent.getState()) !== 'failed') return;
      // Only a parent that its child failed: one that failed on its own (a silver step's bad
      // expectations file, say) may have done so after this child completed, and retrying it
      // would mark its failed run running again for nothing.
      if (!failedByChild(parent.failedReason)) return;
      const readiness = await readRunReadiness(rt.pool, Number((parent.data as { runId?: unknown }).runId));
      const silver = SilverPayload.safeParse(parent.data);
      const gold = GoldPayload.safeParse(parent.data);
      const ready =
        queueName === 'silver' && silver.success
          ? silverIsReady(readiness, silver.data.entity)
          : queueName === 'gold' && gold.success && (gold.data.part === 'dimensions' ? dimensionsAreReady(readiness) : goldIsReady(readiness));
      if (!ready) return;
      try {
        await parent.retry('failed');
      } catch {
        return; // another worker retried it first
      }
      const runId = silver.success ? silver.data.runId : gold.success ? gold.data.runId : null;
      if (runId !== null) await markRunResumed(rt.pool, runId, `resumed: ${queueName} job ${parent.id} retried after its input completed`);
      rt.logger.info({ runId, queue: queueName, jobId: parent.id }, 'failed parent job retried: its input is complete');
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
