import type pg from 'pg';
import { inLanes } from '../db/lanes';
import { tableIsEmpty } from '../db/empty-table';
import { inTransaction, type Pool } from '../db/pool';
import { setLocalSettings } from '../db/settings';
import { StepError } from '../errors/step-error';
import { runScript, runScriptResults, runStatement } from './run-script';
import { applyWholeLoadSettings } from './whole-load-settings';

export interface FactLoad {
  /** 'swap': an empty fact table's partition built whole and attached (migrations 031, 036); 'upsert': sql/gold/fact_sales.sql. */
  path: 'swap' | 'upsert';
  /**
   * On the swap path: the model built whole (empty before), the silver table its view reads by
   * the run, and the rows it wrote (what the conservation rule can be proven by).
   */
  wholeLoad?: { model: 'fact_sales'; from: 'sales'; loaded: number };
  /**
   * On the upsert path: the facts inserted for the run's lines that had none, and the run's lines
   * that had a fact already (updated, or found as they must be): what the conservation rule can be
   * proven by (src/quality/runner.ts).
   */
  upsert?: { model: 'fact_sales'; from: 'sales'; inserted: number; kept: number };
}

/** A first load's facts staged and indexed in committed transactions (stageFactsAhead), ready to attach. */
export interface StagedFacts {
  /** The facts the staged build wrote. */
  loaded: number;
}

const LABEL = 'gold model fact_sales';
/** The staged facts' table (sql/gold/fact_sales_stage.sql) and the partition it becomes (sql/gold/fact_sales_attach.sql). */
const STAGE = 'staging.fact_sales_load';
const PARTITION = 'fact_sales_rows';

/** Sets a connection up for the facts step: its settings and run context (src/pipeline/steps.ts). */
export type StepSetUp = (client: pg.ClientBase) => Promise<void>;

/**
 * The fact-table part of the facts step, on `client` inside its transaction (run context set):
 * sql/gold/fact_changes.sql, sql/gold/dim_date.sql, then the facts, then
 * sql/gold/fact_late_customers.sql.
 *
 * An empty fact table (a first load, a backfill) is built whole (migrations 031, 036): its facts
 * are staged by CREATE TABLE AS of meta.run_fact_image (sql/gold/fact_sales_stage.sql), whose
 * read may run in parallel (the writing process only writes: src/pipeline/whole-load-settings.ts),
 * the parent's indexes are built on the staged table, and it is attached as the fact table's
 * partition (sql/gold/fact_sales_attach.sql). `opts.staged`: that was done ahead in committed
 * transactions, the indexes side by side (stageFactsAhead, the pipeline's way); otherwise it is
 * done here, in this transaction, the indexes one after another. With facts already there,
 * sql/gold/fact_sales.sql updates and inserts. Every path gives the same facts and indexes
 * (tests/integration/fact-load.test.ts). `opts.whole: false` takes the upsert path always.
 */
export async function loadFacts(client: pg.ClientBase, opts: { whole?: boolean; staged?: StagedFacts } = {}): Promise<FactLoad> {
  const changes = await runScript(client, 'gold/fact_changes.sql', LABEL);
  const empty = changes?.facts_before === false;
  let loaded: number | undefined;
  let upsert: { inserted: number; kept: number } | undefined;
  if (empty && opts.staged) loaded = opts.staged.loaded;
  else if (empty && opts.whole !== false) loaded = await stageFacts(client);
  // The date dimension before the facts, which take their date keys from it (migration 035): it
  // needs only fact_changes.sql's span of the run's dates.
  await runScript(client, 'gold/dim_date.sql', 'gold model dim_date');
  if (loaded !== undefined) {
    const indexes = await stagedIndexBuilds(client);
    // Staged here: the indexes one after another, in this transaction.
    if (!opts.staged) for (const index of indexes) await runStatement(client, index.build, `${LABEL}: index ${index.index_name}`);
    for (const index of indexes) if (index.make_key) await runStatement(client, index.make_key, `${LABEL}: key ${index.index_name}`);
    await runScript(client, 'gold/fact_sales_attach.sql', LABEL);
  } else {
    upsert = upsertCounts(await runScriptResults(client, 'gold/fact_sales.sql', LABEL));
  }
  await runScript(client, 'gold/fact_late_customers.sql', LABEL);
  return loaded === undefined
    ? { path: 'upsert', upsert: { model: 'fact_sales', from: 'sales', ...upsert! } }
    : { path: 'swap', wholeLoad: { model: 'fact_sales', from: 'sales', loaded } };
}

/**
 * sql/gold/fact_sales.sql's counts from its statements' results: its one INSERT's rows, and the
 * lines that had a fact already (its last row). Also bench/profile-steps.ts's, which runs the file
 * statement by statement.
 */
export function upsertCounts(results: pg.QueryResult[]): { inserted: number; kept: number } {
  const inserts = results.filter((r) => r.command === 'INSERT');
  // A file that no longer has the one INSERT is a bug to fix, not a step to retry.
  if (inserts.length !== 1) throw new StepError(`${LABEL} (sql/gold/fact_sales.sql): expected one INSERT, saw ${inserts.length}`);
  return { inserted: inserts[0]!.rowCount ?? 0, kept: Number(results.at(-1)!.rows[0].kept) };
}

/**
 * A first load's facts staged ahead of the facts step's transaction: built in a transaction of
 * their own on `lead` (fact_changes.sql's span, the date keys, sql/gold/fact_sales_stage.sql),
 * committed outside gold, then the parent's indexes built on them on up to `opts.lanes`
 * connections side by side (each build a transaction of its own; one lane: with the server's
 * parallel workers, several: without, each lane one core). For loadFacts to attach in the facts
 * step's transaction, which leaves gold as it was until it commits. Returns undefined, and
 * stages nothing, when the fact table is not empty.
 */
export async function stageFactsAhead(pool: Pool, lead: pg.PoolClient, setUp: StepSetUp, opts: { lanes: number }): Promise<StagedFacts | undefined> {
  // A day with facts already there (most runs) pays one probe here, not fact_changes.sql twice.
  if (!(await tableIsEmpty(lead, 'gold', 'fact_sales'))) return undefined;
  const loaded = await inTransaction(lead, async () => {
    await setUp(lead);
    const changes = await runScript(lead, 'gold/fact_changes.sql', LABEL);
    return changes?.facts_before === false ? stageFacts(lead) : undefined;
  });
  if (loaded === undefined) return undefined;
  const builds = await stagedIndexBuilds(lead);
  await inLanes(
    pool,
    lead,
    builds,
    (client, index, lanes) =>
      inTransaction(client, async () => {
        await setUp(client);
        if (lanes > 1) await setLocalSettings(client, { max_parallel_maintenance_workers: '0' });
        await runStatement(client, index.build, `${LABEL}: index ${index.index_name}`);
      }),
    { lanes: opts.lanes },
  );
  return { loaded };
}

/** Stages the run's facts (sql/gold/fact_sales_stage.sql, after the date dimension it takes its keys from); returns how many. */
async function stageFacts(client: pg.ClientBase): Promise<number> {
  await runScript(client, 'gold/dim_date.sql', 'gold model dim_date');
  const restore = await applyWholeLoadSettings(client);
  const results = await runScriptResults(client, 'gold/fact_sales_stage.sql', LABEL);
  await restore();
  return results.find((r) => r.command === 'SELECT')?.rowCount ?? 0; // the CREATE TABLE AS
}

/** The statements that build the fact table's indexes on the staged facts, the dearest first (migration 036). */
async function stagedIndexBuilds(client: pg.ClientBase): Promise<{ index_name: string; build: string; make_key: string | null }[]> {
  const { rows } = await client.query<{ index_name: string; build: string; make_key: string | null }>(
    `select index_name, build, make_key from meta.staged_index_builds('gold.fact_sales', $1::regclass, $2)`,
    [STAGE, PARTITION],
  );
  return rows;
}

/**
 * The run's order lines in silver, as sql/gold/fact_changes.sql counted them (its changed_span),
 * in the facts step's transaction after loadFacts: the step's row count, and what a fact table
 * built whole is counted against (src/quality/runner.ts).
 */
export async function runSilverLines(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: number }>('select lines::int as n from changed_span');
  return rows[0]?.n ?? 0;
}
