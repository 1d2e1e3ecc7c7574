import type { FlowJob, JobsOptions } from 'bullmq';
import { jobIds, type RunRef } from './job-ids';
import type { BronzePayload, GoldPayload, SilverPayload } from './payloads';

export interface FlowPlan extends RunRef {
  /** Per silver entity, the chunks of its source that this run loads. */
  entities: { entity: string; chunks: { fileId: number; chunkIndex: number }[] }[];
}

/**
 * One flow per run: gold ← silver per entity ← bronze per chunk. Every child carries
 * failParentOnFailure, so a child that fails for good fails its parent and the run: no parent
 * waits in waiting-children forever.
 */
export function buildFlow(plan: FlowPlan, opts: JobsOptions): FlowJob {
  const child: JobsOptions = { ...opts, failParentOnFailure: true };
  const { runId } = plan;
  const ref: RunRef = { runId, runKey: plan.runKey };
  return {
    name: 'gold',
    queueName: 'gold',
    data: { runId } satisfies GoldPayload,
    opts: { ...opts, jobId: jobIds.gold(ref) },
    children: plan.entities.map(({ entity, chunks }) => ({
      name: `silver-${entity}`,
      queueName: 'silver',
      data: { runId, entity } satisfies SilverPayload,
      opts: { ...child, jobId: jobIds.silver(ref, entity) },
      children: chunks.map((c) => ({
        name: 'bronze',
        queueName: 'bronze',
        data: { runId, fileId: c.fileId, chunkIndex: c.chunkIndex } satisfies BronzePayload,
        opts: { ...child, jobId: jobIds.bronze(ref, c.fileId, c.chunkIndex) },
      })),
    })),
  };
}
