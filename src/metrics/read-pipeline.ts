import { RETAIL_SOURCES } from '../contracts/retail';
import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';
import type { PipelineSnapshot } from './metrics';

/** Reads the pipeline gauges (freshness, last run, quality per table) from the meta tables. */
export async function readPipelineSnapshot(pool: Pool): Promise<PipelineSnapshot> {
  const [runs, quality, sources] = await Promise.all([
    pool.query<{ kind: string; pipeline: string | null; status: string | null; value: number }>(loadSql('queries/metrics/pipeline_runs.sql')),
    pool.query<{ layer: string; table: string; value: number }>(loadSql('queries/metrics/table_quality.sql')),
    pool.query<{ source: string; value: number }>(loadSql('queries/metrics/source_last_loaded.sql')),
  ]);
  const of = (kind: string) => runs.rows.filter((r) => r.kind === kind);
  return {
    lastSuccessSeconds: of('last_success').map((r) => ({ pipeline: r.pipeline!, value: r.value })),
    lastRunDurationSeconds: of('last_duration').map((r) => ({ pipeline: r.pipeline!, status: r.status!, value: r.value })),
    runs: of('runs').map((r) => ({ status: r.status!, value: r.value })),
    tableQuality: quality.rows,
    sourceLastLoadedSeconds: sources.rows,
    sourceMaxAgeSeconds: RETAIL_SOURCES.map((s) => ({ source: s.name, value: s.maxAgeHours * 3600 })),
  };
}
