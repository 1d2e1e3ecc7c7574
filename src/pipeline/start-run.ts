import { FlowProducer } from 'bullmq';
import { RETAIL_SOURCES, SILVER_ENTITIES } from '../contracts/retail';
import { buildFlow } from '../queue/flow';
import { defaultJobOptions } from '../queue/job-options';
import { createRedis } from '../queue/connection';
import type { Runtime } from '../runtime';
import { discoverFiles } from './discover';
import { registerFile, type RegisteredFile } from './register-file';
import { layerReferencesIfValid } from '../quality/expectations';

export interface StartedRun {
  runId: number;
  files: RegisteredFile[];
  /** False when there was nothing new to load: the run is a no-op and has already ended. */
  enqueued: boolean;
  flowJobId: string | null;
}

/**
 * The scheduler's half of a run: records the run, finds and registers its files, and adds one
 * BullMQ flow covering every pending chunk. Returns without waiting for workers.
 */
export async function startRun(rt: Runtime, opts: { inputDir: string; asOf: string }): Promise<StartedRun> {
  const { pool, config } = rt;
  const found = discoverFiles(opts.inputDir, RETAIL_SOURCES, (file, why) => rt.logger.warn({ file }, `skipped ${file}: ${why}`));
  const { rows } = await pool.query<{ run_id: number; run_key: string }>(
    `insert into meta.runs (status, as_of, input_dir, started_at) values ('pending', $1, $2, now()) returning run_id, run_key`,
    [opts.asOf, opts.inputDir],
  );
  const runId = rows[0]!.run_id;
  const files: RegisteredFile[] = [];
  for (const f of found) files.push(await registerFile(pool, runId, f, config));
  const loading = files.filter((f) => f.role === 'load');
  if (loading.length === 0) {
    const skipped = files.filter((f) => f.role === 'skip').length;
    const refused = files.filter((f) => f.role === 'refused');
    // Nothing found, or only refused files, is a failure; only already-loaded files is a no-op.
    const [status, message] =
      found.length === 0
        ? ['failed', `no source files found under ${opts.inputDir}`]
        : refused.length > 0
          ? ['failed', `${refused.length} file(s) refused, nothing else to load: ${refused.map((f) => f.error).join('; ')}`]
          : ['noop', `nothing new: all ${skipped} file(s) were already loaded`];
    await pool.query(`update meta.runs set status = $2, message = $3, finished_at = now() where run_id = $1`, [runId, status, message]);
    rt.logger.info({ runId }, message);
    return { runId, files, enqueued: false, flowJobId: null };
  }
  const plan = {
    runId,
    runKey: rows[0]!.run_key,
    entities: SILVER_ENTITIES.map((entity) => ({
      entity,
      chunks: loading
        .filter((f) => f.entity === entity)
        .flatMap((f) => f.pendingChunks.map((chunkIndex) => ({ fileId: f.fileId, chunkIndex }))),
    })),
    references: layerReferencesIfValid('silver', config.expectationsDir),
  };
  const connection = createRedis(config.redisUrl);
  const producer = new FlowProducer({ connection, prefix: config.queuePrefix });
  try {
    const node = await producer.add(buildFlow(plan, defaultJobOptions(config)));
    await pool.query(`update meta.runs set status = 'running', flow_job_id = $2 where run_id = $1`, [runId, node.job.id]);
    const chunks = plan.entities.reduce((n, e) => n + e.chunks.length, 0);
    rt.logger.info({ runId, files: loading.length, chunks }, 'run enqueued');
    return { runId, files, enqueued: true, flowJobId: node.job.id ?? null };
  } finally {
    await producer.close();
    connection.disconnect();
  }
}
