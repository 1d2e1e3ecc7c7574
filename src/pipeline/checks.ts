import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';

/** The spec's invariants, one SQL file each under sql/queries/checks/. */
export const CHECKS = ['bronze_rows_conserved', 'scd2_customers', 'scd2_products', 'facts_have_dimensions', 'sales_sums_agree', 'keys_unique'] as const;

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: Record<string, unknown>;
}

/**
 * Runs every check and stores the results with the run (meta.checks). The checks read the whole
 * warehouse and are independent of each other: they run side by side on the pool (seed scale:
 * about 8 s one after another).
 */
export async function runChecks(pool: Pool, runId: number): Promise<CheckResult[]> {
  // $2 of a check: the run's files to load, as values the planner prunes bronze's partitions by.
  const files = await pool.query<{ ids: string[] }>(
    `select coalesce(array_agg(file_id order by file_id), '{}') as ids from meta.run_files where run_id = $1 and role = 'load'`,
    [runId],
  );
  const fileIds = files.rows[0]!.ids;
  const results = await Promise.all(
    CHECKS.map(async (name): Promise<CheckResult> => {
      const sql = loadSql(`queries/checks/${name}.sql`);
      const params = sql.includes('$2') ? [runId, fileIds] : sql.includes('$1') ? [runId] : [];
      const { rows } = await pool.query<{ passed: boolean; detail: Record<string, unknown> }>(sql, params);
      const row = rows[0] ?? { passed: false, detail: { error: 'the check returned no row' } };
      return { name, passed: row.passed, detail: row.detail };
    }),
  );
  for (const r of results) {
    await pool.query(
      `insert into meta.checks (run_id, name, passed, detail) values ($1, $2, $3, $4)
       on conflict (run_id, name) do update set passed = excluded.passed, detail = excluded.detail, checked_at = now()`,
      [runId, r.name, r.passed, JSON.stringify(r.detail)],
    );
  }
  return results;
}
