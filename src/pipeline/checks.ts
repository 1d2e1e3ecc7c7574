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

type CheckFile = keyof typeof CHECK_FILES;

/**
 * The check files that read bronze and the run's ledger alone. Bronze is complete once every
 * silver step of the run has succeeded, which the gold job waits for: these can run beside the
 * gold step (startChecks) instead of after it. Seed scale, a first load: the bronze count took
 * 1.3–1.9 s on one core at the end of the run, and the facts step leaves a core idle for about
 * half of its 20 s (bench/HISTORY.md, twelfth session).
 */
export const BRONZE_CHECK_FILES: readonly CheckFile[] = ['bronze_rows_conserved'];

/**
 * The check files that read the gold dimensions alone. Once the gold step has its dimensions
 * (built by their own job, or by the step) they stay as they are to its end, and each check is one
 * statement, one snapshot of dimensions committed whole: these run beside the facts step, on the
 * core it leaves idle, instead of after the aggregates. Seed scale, a 1 % day's end: the checks
 * side by side 0.97–1.32 s with the customer versions' check, 0.72–0.83 s without it
 * (bench/HISTORY.md, fourteenth session).
 */
export const DIMENSION_CHECK_FILES: readonly CheckFile[] = ['scd2_customers', 'scd2_products'];

/** Check files started ahead of the end of a run (startChecks), and their results to come. */
export interface ChecksAhead {
  files: readonly CheckFile[];
  results: Promise<CheckResult[]>;
}

async function runFileIds(db: Queryable, runId: number): Promise<string[]> {
  const files = await db.query<{ ids: string[] }>(
    `select coalesce(array_agg(file_id order by file_id), '{}') as ids from meta.run_files where run_id = $1 and role = 'load'`,
    [runId],
  );
  return files.rows[0]!.ids;
}

/**
 * Starts check files ahead of the end of the run, on a pooled connection of their own, without
 * the gold lock, for runChecks to store with the others: BRONZE_CHECK_FILES once every silver step
 * of the run has succeeded, DIMENSION_CHECK_FILES once the gold step has its dimensions. A failure
 * is runChecks's to report (the results are not awaited when the gold step fails first).
 */
export function startChecks(pool: Pool, runId: number, files: readonly CheckFile[]): ChecksAhead {
  const results = withClient(pool, async (client) => {
    const fileIds = await runFileIds(client, runId);
    const found: CheckResult[] = [];
    for (const file of files) found.push(...(await runCheckFile(client, file, runId, fileIds)));
    return found;
  });
  results.catch(() => undefined); // unheard when the gold step fails first
  return { files, results };
}

/**
 * Runs every check and stores the results with the run (meta.checks). The check files read the
 * whole warehouse and are independent of each other: they run side by side on the pool's free
 * connections (seed scale: about 8 s one after another). `opts.ahead`: check files started
 * before (startChecks), whose results are taken as they come; those files are not run again.
 */
export async function runChecks(pool: Pool, runId: number, opts: { ahead?: readonly ChecksAhead[] } = {}): Promise<CheckResult[]> {
  const fileIds = await runFileIds(pool, runId);
  const started = new Set<string>((opts.ahead ?? []).flatMap((a) => a.files));
  const files = Object.keys(CHECK_FILES).filter((f) => !started.has(f));
  // Under the gold lock, shared: another run's gold step part-way (its facts committed, its
  // aggregates not yet) would fail this run's sums. In lanes: none waits for a pooled connection
  // while the lock is held.
  const found: CheckResult[] = [];
  await underGoldLockShared(pool, (lead) =>
    inLanes(pool, lead, files, async (client, file) => found.push(...(await runCheckFile(client, file, runId, fileIds)))),
  );
  for (const ahead of opts.ahead ?? []) found.push(...(await ahead.results));
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
