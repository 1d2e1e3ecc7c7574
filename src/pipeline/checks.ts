import { inLanes } from '../db/lanes';
import { withClient, type Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';
import { underGoldLockShared } from './step-locks';

/**
 * The SQL files under sql/queries/checks/ and the spec's invariants each checks: one row (passed,
 * detail) for a file of one invariant; a row per invariant, named by a `name` column, for a file
 * that checks several from one scan (the fact table's two: one read of the facts instead of two).
 */
export const CHECK_FILES = {
  bronze_rows_conserved: ['bronze_rows_conserved'],
  scd2_customers: ['scd2_customers'],
  scd2_products: ['scd2_products'],
  facts_dimensions_and_sums: ['facts_have_dimensions', 'sales_sums_agree'],
  keys_unique: ['keys_unique'],
} as const;
export type CheckName = (typeof CHECK_FILES)[keyof typeof CHECK_FILES][number];
/** The invariants, each stored by this name in meta.checks, in this order. */
export const CHECKS: readonly CheckName[] = Object.values(CHECK_FILES).flat();

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: Record<string, unknown>;
}

type Queryable = Pick<Pool, 'query'>;

/**
 * Runs one check file and returns a result for each invariant it checks (a missing row fails its
 * invariant). $1 of a file: the run id; $2: the run's files to load, as values the planner prunes
 * bronze's partitions by.
 */
export async function runCheckFile(db: Queryable, file: string, runId: number, fileIds: string[]): Promise<CheckResult[]> {
  const names: readonly CheckName[] | undefined = (CHECK_FILES as Record<string, readonly CheckName[]>)[file];
  if (!names) throw new Error(`no check file ${file}`);
  const sql = loadSql(`queries/checks/${file}.sql`);
  const params = sql.includes('$2') ? [runId, fileIds] : sql.includes('$1') ? [runId] : [];
  const { rows } = await db.query<{ name?: string; passed: boolean; detail: Record<string, unknown> }>(sql, params);
  return names.map((name): CheckResult => {
    const row = names.length === 1 ? rows[0] : rows.find((r) => r.name === name);
    return row ? { name, passed: row.passed, detail: row.detail } : { name, passed: false, detail: { error: `${file}.sql returned no row for ${name}` } };
  });
}

/**
 * The check files that read bronze and the run's ledger alone. Bronze is complete once every
 * silver step of the run has succeeded, which the gold job waits for: these can run beside the
 * gold step (runBronzeChecks) instead of after it. Seed scale, a first load: the bronze count took
 * 1.3–1.9 s on one core at the end of the run, and the facts step leaves a core idle for about
 * half of its 20 s (bench/HISTORY.md, twelfth session).
 */
export const BRONZE_CHECK_FILES: readonly (keyof typeof CHECK_FILES)[] = ['bronze_rows_conserved'];

async function runFileIds(db: Queryable, runId: number): Promise<string[]> {
  const files = await db.query<{ ids: string[] }>(
    `select coalesce(array_agg(file_id order by file_id), '{}') as ids from meta.run_files where run_id = $1 and role = 'load'`,
    [runId],
  );
  return files.rows[0]!.ids;
}

/**
 * Runs the bronze check files (BRONZE_CHECK_FILES) on a pooled connection of their own, without
 * the gold lock (they read no gold table), for runChecks to store with the others. Call it once
 * every silver step of the run has succeeded.
 */
export async function runBronzeChecks(pool: Pool, runId: number): Promise<CheckResult[]> {
  return withClient(pool, async (client) => {
    const fileIds = await runFileIds(client, runId);
    const found: CheckResult[] = [];
    for (const file of BRONZE_CHECK_FILES) found.push(...(await runCheckFile(client, file, runId, fileIds)));
    return found;
  });
}

/**
 * Runs every check and stores the results with the run (meta.checks). The check files read the
 * whole warehouse and are independent of each other: they run side by side on the pool's free
 * connections (seed scale: about 8 s one after another). `opts.bronze`: the bronze checks'
 * results, from runBronzeChecks started beside the gold step; those files are then not run again.
 */
export async function runChecks(pool: Pool, runId: number, opts: { bronze?: Promise<CheckResult[]> } = {}): Promise<CheckResult[]> {
  const fileIds = await runFileIds(pool, runId);
  const files = Object.keys(CHECK_FILES).filter((f) => !(opts.bronze && (BRONZE_CHECK_FILES as readonly string[]).includes(f)));
  // Under the gold lock, shared: another run's gold step part-way (its facts committed, its
  // aggregates not yet) would fail this run's sums. In lanes: none waits for a pooled connection
  // while the lock is held.
  const found: CheckResult[] = [];
  await underGoldLockShared(pool, (lead) =>
    inLanes(pool, lead, files, async (client, file) => found.push(...(await runCheckFile(client, file, runId, fileIds)))),
  );
  if (opts.bronze) found.push(...(await opts.bronze));
  // Stored and returned in the order of CHECKS.
  const results = CHECKS.map((name) => found.find((r) => r.name === name)!);
  for (const r of results) {
    await pool.query(
      `insert into meta.checks (run_id, name, passed, detail) values ($1, $2, $3, $4)
       on conflict (run_id, name) do update set passed = excluded.passed, detail = excluded.detail, checked_at = now()`,
      [runId, r.name, r.passed, JSON.stringify(r.detail)],
    );
  }
  return results;
}
