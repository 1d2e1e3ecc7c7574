import type { FlowJob, JobsOptions } from 'bullmq';
import { jobIds, type RunRef } from './job-ids';
import type { BronzePayload, BronzeReplayPayload, GoldPayload, SilverPayload } from './payloads';

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

export interface ReplayPlan extends RunRef {
  replay: number;
  /** Per silver entity to judge again, the files whose bronze rejects are replayed first. */
  entities: { entity: string; files: number[] }[];
}

/** A replay's flow: gold ← silver (replay) per entity ← one bronze replay job per file with rejects. */
export function buildReplayFlow(plan: ReplayPlan, opts: JobsOptions): FlowJob {
  const child: JobsOptions = { ...opts, failParentOnFailure: true };
  const { runId, replay } = plan;
  const ref: RunRef = { runId, runKey: plan.runKey };
  return {
    name: 'gold',
    queueName: 'gold',
    data: { runId } satisfies GoldPayload,
    opts: { ...opts, jobId: jobIds.replay.gold(ref, replay) },
    children: plan.entities.map(({ entity, files }) => ({
      name: `silver-${entity}`,
      queueName: 'silver',
      data: { runId, entity, replay: true } satisfies SilverPayload,
      opts: { ...child, jobId: jobIds.replay.silver(ref, replay, entity) },
      children: files.map((fileId) => ({
        name: 'bronze-replay',
        queueName: 'bronze',
        data: { runId, fileId, replay: true } satisfies BronzeReplayPayload,
        opts: { ...child, jobId: jobIds.replay.bronze(ref, replay, fileId) },
      })),
    })),
  };
}
