import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';
import type { CheckResult } from './checks';

export interface FileSummary {
  source: string;
  path: string;
  role: 'load' | 'skip' | 'refused';
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  chunks: number;
  rowPathChunks: number;
  error?: string;
  extraColumns?: string[];
}

export interface RunSummary {
  runId: number;
  status: string;
  asOf: string;
  message: string | null;
  files: FileSummary[];
  layers: Record<'bronze' | 'silver' | 'gold', { rows: number; ms: number }>;
  quarantined: { bronze: number; silver: number };
  checks: CheckResult[];
  wallMs: number | null;
}

/** Builds a run's summary from the meta tables: the same answer from any process, at any time. */
export async function buildSummary(pool: Pool, runId: number): Promise<RunSummary | null> {
  const run = await pool.query<{ status: string; as_of: string; message: string | null; wall_ms: number | null }>(
    `select status, as_of, message,
            (extract(epoch from coalesce(finished_at, now()) - coalesce(started_at, created_at)) * 1000)::int as wall_ms
       from meta.runs where run_id = $1`,
    [runId],
  );
  const r = run.rows[0];
  if (!r) return null;
  const files = await pool.query(loadSql('queries/run_files_summary.sql'), [runId]);
  const layers = await pool.query<{ layer: 'bronze' | 'silver' | 'gold'; rows: number; ms: number }>(loadSql('queries/run_layers_summary.sql'), [runId]);
  const quarantine = await pool.query<{ stage: 'bronze' | 'silver'; n: number }>(
    'select stage, count(*)::int as n from quarantine.rejects where run_id = $1 group by stage',
    [runId],
  );
  const checks = await pool.query<CheckResult>('select name, passed, detail from meta.checks where run_id = $1 order by checked_at, name', [runId]);
  const layerMap = { bronze: { rows: 0, ms: 0 }, silver: { rows: 0, ms: 0 }, gold: { rows: 0, ms: 0 } };
  for (const l of layers.rows) layerMap[l.layer] = { rows: l.rows, ms: l.ms };
  const q = { bronze: 0, silver: 0 };
  for (const row of quarantine.rows) q[row.stage] = row.n;
  return {
    runId,
    status: r.status,
    asOf: r.as_of,
    message: r.message,
    files: files.rows.map((f) => ({
      source: f.source,
      path: f.path,
      role: f.role,
      // A skipped file was loaded by an earlier run: this run read nothing from it.
      rowsRead: f.role === 'load' ? f.rows_read : 0,
      rowsLoaded: f.role === 'load' ? f.rows_loaded : 0,
      rowsRejected: f.role === 'load' ? f.rows_rejected : 0,
      chunks: f.chunks,
      rowPathChunks: f.row_path_chunks,
      ...(f.error ? { error: f.error } : {}),
      ...(f.extras?.length ? { extraColumns: f.extras } : {}),
    })),
    layers: layerMap,
    quarantined: q,
    checks: checks.rows,
    wallMs: r.wall_ms,
  };
}
