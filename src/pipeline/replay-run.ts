import { FlowProducer } from 'bullmq';
import { RETAIL_SOURCES, sourceByName } from '../contracts/retail';
import { ConfigError } from '../errors/config-error';
import { createRedis } from '../queue/connection';
import { buildReplayFlow } from '../queue/flow';
import { defaultJobOptions } from '../queue/job-options';
import type { Runtime } from '../runtime';

export interface ReplayStarted {
  runId: number;
  replay: number;
  /** Quarantined rows sent back, per stage. */
  rows: { bronze: number; silver: number };
  entities: string[];
}

/**
 * `metalayer replay`: after a contract or a rule was fixed, sends a run's quarantined rows back
 * through the same queues and stages — bronze rejects through the checks and COPY again (original
 * run, file and line), then the silver step of each affected entity (which judges its silver
 * rejects anew), then gold. Rows that still fail stay quarantined; the run's counts stay conserved.
 */
export async function replayRun(rt: Runtime, runId: number, source?: string): Promise<ReplayStarted> {
  if (source !== undefined && !sourceByName(source)) throw new ConfigError(`unknown source ${source}`);
  const run = (await rt.pool.query<{ status: string }>('select status from meta.runs where run_id = $1', [runId])).rows[0];
  if (!run) throw new ConfigError(`run ${runId} does not exist`);
  if (!['succeeded', 'partially_failed'].includes(run.status)) {
    throw new ConfigError(`run ${runId} is ${run.status}: only a finished run's quarantine can be replayed${run.status === 'failed' ? ' (finish it first: metalayer retry)' : ''}`);
  }
  const { rows } = await rt.pool.query<{ source: string; stage: 'bronze' | 'silver'; file_id: number; n: number }>(
    `select source, stage, file_id, count(*)::int as n from quarantine.rejects
      where run_id = $1 and ($2::text is null or source = $2) group by 1, 2, 3`,
    [runId, source ?? null],
  );
  if (rows.length === 0) throw new ConfigError(`run ${runId} has no quarantined rows${source ? ` of ${source}` : ''}: nothing to replay`);
  const entities = RETAIL_SOURCES.filter((s) => rows.some((r) => r.source === s.name)).map((s) => ({
    entity: s.entity,
    files: [...new Set(rows.filter((r) => r.source === s.name && r.stage === 'bronze').map((r) => r.file_id))],
  }));
  const counted = { bronze: 0, silver: 0 };
  for (const r of rows) counted[r.stage] += r.n;

  const marked = await rt.pool.query<{ replays: number; run_key: string }>(
    `update meta.runs set replays = replays + 1, status = 'running', finished_at = null,
            message = $2
      where run_id = $1 and status in ('succeeded', 'partially_failed')
      returning replays, run_key`,
    [runId, `replaying ${counted.bronze + counted.silver} quarantined row(s)`],
  );
  const m = marked.rows[0];
  if (!m) throw new ConfigError(`run ${runId} changed state meanwhile; try again`);
  const connection = createRedis(rt.config.redisUrl);
  const producer = new FlowProducer({ connection, prefix: rt.config.queuePrefix });
  try {
    await producer.add(buildReplayFlow({ runId, runKey: m.run_key, replay: m.replays, entities }, defaultJobOptions(rt.config)));
  } finally {
    await producer.close();
    connection.disconnect();
  }
  rt.logger.info({ runId, replay: m.replays, rows: counted, entities: entities.map((e) => e.entity) }, 'replay enqueued');
  return { runId, replay: m.replays, rows: counted, entities: entities.map((e) => e.entity) };
}
