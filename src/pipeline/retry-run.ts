import { FlowProducer, Job, Queue } from 'bullmq';
import { RETAIL_SOURCES, SILVER_ENTITIES } from '../contracts/retail';
import { loadSql } from '../db/sql-files';
import { ConfigError } from '../errors/config-error';
import { createRedis } from '../queue/connection';
import { buildFlow } from '../queue/flow';
import { jobIds, type RunRef } from '../queue/job-ids';
import { defaultJobOptions } from '../queue/job-options';
import { QUEUES, type QueueName } from '../queue/names';
import type { Runtime } from '../runtime';
import { markRunResumed } from './finish-run';
import { dimensionsAreReady, goldIsReady, readRunReadiness, silverIsReady } from './readiness';
import { layerReferencesIfValid } from '../quality/expectations';

export interface RetryResult {
  runId: number;
  /** 'jobs': the failed jobs were retried in place; 'flow': they were gone, a new flow covers what is left. */
  mode: 'jobs' | 'flow';
  jobs: string[];
}

interface Candidate {
  queue: QueueName;
  id: string;
  ready: boolean;
  /** A job that older flows lack: its absence does not mean Redis lost the run's jobs. */
  optional?: boolean;
}

/**
 * `metalayer retry --run ID`: resumes a failed run from the step that failed. What is done stays
 * done — loaded chunks (the ledger), succeeded silver steps (meta.steps). The failed jobs whose
 * input is complete are retried in place, exactly like a retry in Bull Board; their parents follow
 * when they complete (workers/resume-parent.ts). When Redis no longer holds the run's jobs, one new
 * flow (under a new run key) covers the pending chunks, the unfinished silver steps and gold.
 */
export async function retryRun(rt: Runtime, runId: number): Promise<RetryResult> {
  const run = await rt.pool.query<{ status: string; run_key: string }>('select status, run_key from meta.runs where run_id = $1', [runId]);
  const r = run.rows[0];
  if (!r) throw new ConfigError(`run ${runId} does not exist`);
  if (r.status === 'succeeded' || r.status === 'noop') throw new ConfigError(`run ${runId} ${r.status === 'noop' ? 'had nothing to do' : 'succeeded'}: nothing to retry`);
  const readiness = await readRunReadiness(rt.pool, runId);
  const pending = await rt.pool.query<{ file_id: number; chunk_index: number; source: string }>(loadSql('queries/run_pending_chunks.sql'), [runId]);
  const ref: RunRef = { runId, runKey: r.run_key };
  const candidates: Candidate[] = [
    ...pending.rows.map((c) => ({ queue: 'bronze' as const, id: jobIds.bronze(ref, c.file_id, c.chunk_index), ready: true })),
    ...SILVER_ENTITIES.filter((e) => !readiness.silverDone.has(e)).map((e) => ({
      queue: 'silver' as const,
      id: jobIds.silver(ref, e),
      ready: silverIsReady(readiness, e),
    })),
    // Flows since the dimensions became a job of their own have one; it counts only when found.
    { queue: 'gold', id: jobIds.dimensions(ref), ready: dimensionsAreReady(readiness), optional: true },
    { queue: 'gold', id: jobIds.gold(ref), ready: goldIsReady(readiness) },
  ];

  const connection = createRedis(rt.config.redisUrl);
  const queues = new Map(QUEUES.map((q) => [q, new Queue(q, { connection, prefix: rt.config.queuePrefix })]));
  try {
    const found = await Promise.all(candidates.map(async (c) => ({ c, job: await Job.fromId(queues.get(c.queue)!, c.id) })));
    const states = await Promise.all(found.map(async ({ c, job }) => ({ c, job, state: job ? await job.getState() : 'missing' })));
    const failed = states.filter((s) => s.state === 'failed');
    const missing = states.filter((s) => s.state === 'missing' && !s.c.optional);
    const active = states.filter((s) => !['failed', 'missing', 'completed'].includes(s.state));
    if (missing.length === 0) {
      const toRetry = failed.filter((s) => s.c.ready);
      if (toRetry.length === 0) {
        const detail = states.map((s) => `${s.c.id}=${s.state}`).join(', ');
        throw new ConfigError(`run ${runId} (${r.status}): no failed job whose input is complete, so nothing to retry (${detail})`);
      }
      await markRunResumed(rt.pool, runId, `resumed by metalayer retry: ${toRetry.length} failed job(s) retried`);
      for (const s of toRetry) await s.job!.retry('failed', { resetAttemptsMade: true });
      rt.logger.info({ runId, jobs: toRetry.map((s) => s.c.id) }, 'failed jobs retried');
      return { runId, mode: 'jobs', jobs: toRetry.map((s) => s.c.id) };
    }
    if (active.length > 0) {
      throw new ConfigError(`run ${runId}: ${active.length} of its jobs are still queued or running while others are gone from Redis; let them finish, then retry`);
    }
    return await resumeWithNewFlow(rt, runId, pending.rows, readiness.silverDone, connection);
  } finally {
    await Promise.all([...queues.values()].map((q) => q.close()));
    connection.disconnect();
  }
}

async function resumeWithNewFlow(
  rt: Runtime,
  runId: number,
  pending: { file_id: number; chunk_index: number; source: string }[],
  silverDone: Set<string>,
  connection: ReturnType<typeof createRedis>,
): Promise<RetryResult> {
  // A new run key gives the new jobs ids that cannot collide with what is left of the old ones.
  const keyed = await rt.pool.query<{ run_key: string }>(
    `update meta.runs set run_key = substr(md5(random()::text || clock_timestamp()::text), 1, 12) where run_id = $1 returning run_key`,
    [runId],
  );
  const plan = {
    runId,
    runKey: keyed.rows[0]!.run_key,
    entities: SILVER_ENTITIES.filter((e) => !silverDone.has(e)).map((entity) => {
      const source = RETAIL_SOURCES.find((s) => s.entity === entity)!.name;
      return {
        entity,
        chunks: pending.filter((c) => c.source === source).map((c) => ({ fileId: c.file_id, chunkIndex: c.chunk_index })),
      };
    }),
    references: layerReferencesIfValid('silver', rt.config.expectationsDir),
  };
  const producer = new FlowProducer({ connection, prefix: rt.config.queuePrefix });
  try {
    await markRunResumed(rt.pool, runId, 'resumed by metalayer retry: a new flow covers the unfinished steps');
    const node = await producer.add(buildFlow(plan, defaultJobOptions(rt.config)));
    await rt.pool.query(`update meta.runs set flow_job_id = $2 where run_id = $1`, [runId, node.job.id]);
    const jobs = [node.job.id!, ...(node.children ?? []).map((c) => c.job.id!)];
    rt.logger.info({ runId, chunks: pending.length, silver: plan.entities.length }, 'run resumed with a new flow');
    return { runId, mode: 'flow', jobs };
  } finally {
    await producer.close();
  }
}
