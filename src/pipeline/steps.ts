import type pg from 'pg';
import { setRunContext } from '../db/run-context';
import { inLanes } from '../db/lanes';
import { inTransaction, withClient, type Pool } from '../db/pool';
import { DEFAULTS } from '../config/defaults';
import { ExpectationError } from '../errors/expectation-error';
import { StepError } from '../errors/step-error';
import { loadExpectations } from '../quality/expectations';
import { DIMENSION_INPUTS, SILVER_ENTITIES, sourceByName } from '../contracts/retail';
import { checkContractTypes } from '../quality/contract-types';
import { checkModel, type CheckOptions } from '../quality/runner';
import { storeQuality } from '../quality/store';
import { loadFacts, runSilverLines, stageFactsAhead, type StagedFacts } from './fact-load';
import { loadSales } from './sales-load';
import { applyWholeAggregateSettings } from './whole-load-settings';
import { runScript } from './run-script';
import { STEP_LOCK_NAMESPACE, underGoldLock } from './step-locks';

/**
 * The gold dimensions, in one transaction with their expectations: a step of their own, run as
 * soon as their silver inputs are done (DIMENSION_INPUTS), beside the order lines' silver step.
 */
export const GOLD_DIMENSION_MODELS = ['dim_customers', 'dim_products'] as const;
/** meta.steps name of that transaction. */
export const GOLD_DIMENSIONS_STEP = 'dimensions';
/**
 * Then the facts, in dependency order and one transaction with their expectations: the date
 * dimension (the whole years of the run's dates, which the facts take their date keys from:
 * migration 035), the facts, and the keys the aggregates must recompute (migration 014).
 */
export const GOLD_FACT_MODELS = ['dim_date', 'fact_sales', 'aggregate_keys'] as const;
/** The models loadFacts writes (src/pipeline/fact-load.ts: the run's span first, which the date dimension reads). */
export const GOLD_FACT_MODELS_OF_LOAD_FACTS: readonly string[] = ['dim_date', 'fact_sales'];
/** The facts step's scripts after loadFacts. */
export const GOLD_FACT_SCRIPTS_AFTER_FACTS = GOLD_FACT_MODELS.filter((m) => !GOLD_FACT_MODELS_OF_LOAD_FACTS.includes(m));
/** meta.steps name of that transaction. */
export const GOLD_FACTS_STEP = 'facts';
/**
 * Aggregates: after the facts commit, side by side, each in its own transaction (an INSERT …
 * SELECT runs on one core; four of them share the database's cores). Seed scale: about 29 s in
 * a row, about 15 s side by side on 2 cores.
 */
export const GOLD_AGGREGATES = ['agg_daily_sales', 'agg_monthly_sales', 'customer_sales', 'product_sales'] as const;

export interface StepResult {
  rows: number;
  ms: number;
  /**
   * How a step with two paths filled its table: the order lines' silver step and the facts
   * 'swap' (an empty table, built whole and attached as its partition) or 'upsert'. In the job's
   * result and its log line, so that an operator sees which path a load took.
   */
  path?: 'swap' | 'upsert';
}

async function runAsOf(pool: Pool, runId: number): Promise<string> {
  const { rows } = await pool.query<{ as_of: string }>('select as_of from meta.runs where run_id = $1', [runId]);
  if (!rows[0]) throw new StepError(`run ${runId} does not exist in meta.runs`);
  return rows[0].as_of;
}

/**
 * The planner settings of a step's transaction (also used by bench/profile-steps.ts, so that a
 * profile measures what a worker runs).
 */
export async function applyStepSettings(client: pg.ClientBase, workMem: string, layer: 'silver' | 'gold', step?: string): Promise<void> {
  // The step in application_name for the transaction (pg_stat_activity, and its parallel workers,
  // tell an operator what each backend works on; the bench adds up CPU by it): `metalayer/<pid>
  // silver/sales`. The pool's own name comes back at commit.
  if (step) await client.query(`select set_config('application_name', current_setting('application_name') || ' ' || $1, true)`, [`${layer}/${step}`]);
  // Batch SQL over whole runs: hash joins and in-memory sorts. Estimates for tables that just
  // grew are unreliable, and a nested loop chosen on a bad estimate costs minutes at scale.
  // JIT off: compiling each big statement cost more than it saved (measured: 8.4 s → 7.1 s for
  // the 750 k-row sales staging statement). maintenance_work_mem: the index builds of a first
  // load (migration 011) sort in memory.
  await client.query(
    `select set_config('work_mem', $1, true), set_config('maintenance_work_mem', $1, true),
            set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`,
    [workMem],
  );
  // Gold runs alone (one job per run): let PostgreSQL spread a big batch's joins over parallel
  // workers. The default parallel_tuple_cost prices handing rows to the leader so high that a
  // join producing every row of a batch never goes parallel; measured at seed scale, the 7.5 M
  // line fact image: 17.8 s serial, 9.2 s with two workers at 0.01.
  if (layer === 'gold') await client.query(`select set_config('parallel_tuple_cost', '0.01', true)`);
}

/**
 * The run's files of this source, as a setting read by meta.ctx_file_ids() (migration 013): an
 * array of constants is a BRIN index condition and keeps the scans parallel-capable.
 */
export async function setRunFiles(client: pg.ClientBase, runId: number, source: string): Promise<void> {
  await client.query(
    `select set_config('metalayer.file_ids', coalesce(array_agg(rf.file_id order by rf.file_id)::text, '{}'), true)
       from meta.run_files rf join meta.files f on f.file_id = rf.file_id
      where rf.run_id = $1 and rf.role = 'load' and f.source = $2`,
    [runId, source],
  );
}

/**
 * Runs one step in a transaction with its bookkeeping in meta.steps: marked running before,
 * succeeded or failed after (outside the step's transaction, so a rolled-back step still leaves its
 * failure visible). On `client` when given (its bookkeeping too: a caller that holds several
 * connections must not wait for another), else on a pooled connection. `ahead`: the step's work
 * that commits before its transaction and leaves the warehouse as it was (a first load's staged
 * facts), timed and failed with the step.
 */
async function tracked(
  pool: Pool,
  workMem: string,
  runId: number,
  layer: 'silver' | 'gold',
  step: string,
  body: (client: pg.PoolClient) => Promise<number>,
  client?: pg.PoolClient,
  ahead?: (client: pg.PoolClient) => Promise<void>,
): Promise<StepResult> {
  if (!client) return withClient(pool, (c) => tracked(pool, workMem, runId, layer, step, body, c, ahead));
  await client.query(
    `insert into meta.steps (run_id, layer, step, status) values ($1, $2, $3, 'running')
     on conflict (run_id, layer, step) do update
       set status = 'running', attempts = meta.steps.attempts + 1, started_at = now(), error = null, finished_at = null`,
    [runId, layer, step],
  );
  const started = Date.now();
  try {
    await ahead?.(client);
    const rows = await inTransaction(client, async () => {
      await applyStepSettings(client, workMem, layer, step);
      return body(client);
    });
    const ms = Date.now() - started;
    await client.query(
      `update meta.steps set status = 'succeeded', rows = $4, ms = $5, finished_at = now()
        where run_id = $1 and layer = $2 and step = $3`,
      [runId, layer, step, rows, ms],
    );
    return { rows, ms };
  } catch (err) {
    const message = (err as Error).message;
    // The connection may be gone with the error: then the pool records the failure.
    const book = async (fn: (q: pg.ClientBase | Pool) => Promise<unknown>): Promise<void> => {
      await fn(client).catch(() => fn(pool)).catch(() => {});
    };
    // The step rolled back; what its expectations found stays visible (`metalayer quality`).
    if (err instanceof ExpectationError) await book((q) => storeQuality(q as pg.ClientBase, runId, err.results as Parameters<typeof storeQuality>[2]));
    await book((q) =>
      q.query(`update meta.steps set status = 'failed', error = $4, ms = $5, finished_at = now() where run_id = $1 and layer = $2 and step = $3`, [
        runId,
        layer,
        step,
        message,
        Date.now() - started,
      ]),
    );
    throw err;
  }
}

/**
 * Silver step of one entity: marks its files loaded, runs sql/silver/<entity>.sql, then checks the
 * entity's expectations (sql/silver/expectations.yml) in the same transaction.
 */
export async function runSilverStep(
  pool: Pool,
  workMem: string,
  runId: number,
  entity: string,
  source: string,
  opts: { expectationsDir?: string; replay?: boolean; salesReadWorkers?: number } = {},
): Promise<StepResult> {
  const { expectationsDir } = opts;
  const asOf = await runAsOf(pool, runId);
  let path: StepResult['path'];
  const result = await tracked(pool, workMem, runId, 'silver', entity, async (client) => {
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [STEP_LOCK_NAMESPACE, `silver.${entity}`]);
    await setRunContext(client, { runId, asOf });
    // A replay judges the run's silver rejects of this source again: the rules decide anew, and
    // the rows that still fail are quarantined again (in this transaction: a failure keeps them).
    if (opts.replay) await client.query(`delete from quarantine.rejects where run_id = $1 and source = $2 and stage = 'silver'`, [runId, source]);
    // All bronze children are done when this job runs: the run's files of this source are loaded.
    await client.query(
      `update meta.files f set status = 'loaded'
        where f.source = $2 and f.status = 'pending'
          and f.file_id in (select file_id from meta.run_files where run_id = $1 and role = 'load')
          and not exists (select 1 from meta.chunks c where c.file_id = f.file_id and c.status = 'pending')`,
      [runId, source],
    );
    // A file registered before bronze was partitioned (migration 023) lands in the old table: summarise
    // the BRIN ranges its chunks filled there. Unsummarised ranges match every lookup by file, so
    // without this a lookup of one small file reads the whole table (1.2 s → 50 ms for the per-file
    // checks of a next-day run at quick scale). Then fresh statistics of the run's partitions.
    await client.query(`select brin_summarize_new_values(to_regclass($1))`, [`bronze.${source}_file_brin`]);
    await setRunFiles(client, runId, source);
    await client.query(`select meta.analyze_bronze_files($1, meta.ctx_file_ids())`, [source]);
    const load = entity === 'sales' ? await loadSales(client, { readWorkers: opts.salesReadWorkers }) : undefined;
    path = load?.path;
    const result = load ? load.result : await runScript(client, `silver/${entity}.sql`, `silver step ${entity}`);
    const spec = loadExpectations('silver', expectationsDir)[entity];
    if (spec) {
      const { results, score } = await checkModel(client, 'silver', entity, spec);
      await storeQuality(client, runId, [...results, score]);
    }
    const contract = sourceByName(source);
    if (contract) await storeQuality(client, runId, await checkContractTypes(client, contract, { tally: load?.tally }));
    return Number(result?.rows_changed ?? 0);
  });
  return path ? { ...result, path } : result;
}

type GoldSpecs = ReturnType<typeof loadExpectations>;

/** Checks the expectations of the given gold models (those that have any) and stores the results. */
async function checkGold(client: pg.PoolClient, runId: number, specs: GoldSpecs, models: readonly string[], opts?: CheckOptions): Promise<void> {
  for (const [model, spec] of Object.entries(specs).filter(([m]) => models.includes(m))) {
    const { results, score } = await checkModel(client, 'gold', model, spec, opts);
    await storeQuality(client, runId, [...results, score]);
  }
}

/** The dimensions step on `lead` (caller holds the gold lock). */
async function buildDimensions(pool: Pool, lead: pg.PoolClient, workMem: string, runId: number, asOf: string, specs: GoldSpecs): Promise<StepResult> {
  return tracked(pool, workMem, runId, 'gold', GOLD_DIMENSIONS_STEP, async (client) => {
    await setRunContext(client, { runId, asOf });
    for (const model of GOLD_DIMENSION_MODELS) await runScript(client, `gold/${model}.sql`, `gold model ${model}`);
    await checkGold(client, runId, specs, GOLD_DIMENSION_MODELS);
    return 0;
  }, lead);
}

/**
 * The gold dimensions of a run (the flow's gold-dimensions job): sql/gold/dim_*.sql and their
 * expectations in one transaction, under the gold lock.
 */
export async function runGoldDimensionsStep(pool: Pool, workMem: string, runId: number, expectationsDir?: string): Promise<StepResult> {
  const asOf = await runAsOf(pool, runId);
  const specs = loadExpectations('gold', expectationsDir);
  return underGoldLock(pool, (lead) => buildDimensions(pool, lead, workMem, runId, asOf, specs));
}

/**
 * The gold step of a run, under one lock for all of it (no two runs' gold interleave): the
 * dimensions unless their step already ran since their silver inputs last changed, the facts in
 * one transaction (skipped when a retry finds them built since the run's silver last changed;
 * a first load's staged and indexed ahead of it, `opts.factIndexLanes` connections side by side:
 * src/pipeline/fact-load.ts), then the aggregates side by side, then the warehouse's as-of date.
 * A failure leaves the warehouse as it was before the failing transaction; what an aggregate
 * still owes stays in meta.gold_pending_* for the retry (or the next run) to finish.
 * `opts.onDimensions`: called once the dimensions are final for this step, before the facts
 * (the gold lock keeps other runs' gold out until the step ends).
 */
export async function runGoldStep(
  pool: Pool,
  workMem: string,
  runId: number,
  opts: { expectationsDir?: string; factIndexLanes?: number; onDimensions?: () => void } = {},
): Promise<StepResult> {
  const { expectationsDir } = opts;
  const asOf = await runAsOf(pool, runId);
  const specs = loadExpectations('gold', expectationsDir);
  const aggregates: readonly string[] = GOLD_AGGREGATES;
  const dimensions: readonly string[] = GOLD_DIMENSION_MODELS;
  // Expectations of models that are neither a dimension nor an aggregate go with the facts.
  const factModels = Object.keys(specs).filter((m) => !aggregates.includes(m) && !dimensions.includes(m));
  return underGoldLock(pool, async (lead) => {
    if (!(await builtSince(lead, runId, GOLD_DIMENSIONS_STEP, DIMENSION_INPUTS))) await buildDimensions(pool, lead, workMem, runId, asOf, specs);
    opts.onDimensions?.();
    let facts = await builtSince(lead, runId, GOLD_FACTS_STEP, SILVER_ENTITIES);
    if (!facts) {
      let path: StepResult['path'];
      let staged: StagedFacts | undefined;
      const setUp = async (c: pg.ClientBase): Promise<void> => {
        await applyStepSettings(c, workMem, 'gold', GOLD_FACTS_STEP);
        await setRunContext(c, { runId, asOf });
      };
      facts = await tracked(pool, workMem, runId, 'gold', GOLD_FACTS_STEP, async (client) => {
        await setRunContext(client, { runId, asOf });
        const load = await loadFacts(client, { staged });
        path = load.path;
        for (const model of GOLD_FACT_SCRIPTS_AFTER_FACTS) await runScript(client, `gold/${model}.sql`, `gold model ${model}`);
        const silverRows = await runSilverLines(client);
        await checkGold(client, runId, specs, factModels, {
          wholeLoad: load.wholeLoad && { ...load.wholeLoad, silverRows },
          upsert: load.upsert && { ...load.upsert, silverRows },
        });
        return silverRows;
      }, lead, async (client) => {
        staged = await stageFactsAhead(pool, client, setUp, { lanes: opts.factIndexLanes ?? DEFAULTS.factIndexLanes });
      });
      if (path) facts = { ...facts, path };
    }
    // A fact table built whole now: every aggregate is rebuilt over every fact.
    const wholeAggregates = facts.path === 'swap';
    await inLanes(pool, lead, GOLD_AGGREGATES, (client, model) =>
      tracked(pool, workMem, runId, 'gold', model, async (c) => {
        await setRunContext(c, { runId, asOf });
        if (wholeAggregates) await applyWholeAggregateSettings(c);
        await runScript(c, `gold/${model}.sql`, `gold model ${model}`);
        await checkGold(c, runId, specs, [model]);
        return 0;
      }, client),
    );
    await inTransaction(lead, async () => {
      await setRunContext(lead, { runId, asOf });
      await runScript(lead, 'gold/warehouse_state.sql', 'gold model warehouse_state');
    });
    return facts;
  });
}

/**
 * The run's gold step `step` succeeded after the silver steps of `inputs` last finished: what it
 * recorded, so that it is not redone (the dimensions job ran before gold; a retry after a failed
 * aggregate). A replay re-runs silver steps, so its gold builds what they feed again.
 */
async function builtSince(client: pg.ClientBase, runId: number, step: string, inputs: readonly string[]): Promise<StepResult | undefined> {
  const { rows } = await client.query<{ rows: number; ms: number }>(
    `select g.rows, g.ms from meta.steps g
      where g.run_id = $1 and g.layer = 'gold' and g.step = $2 and g.status = 'succeeded'
        and g.started_at >= all (select s.finished_at from meta.steps s where s.run_id = $1 and s.layer = 'silver' and s.step = any($3))`,
    [runId, step, inputs],
  );
  return rows[0] ? { rows: Number(rows[0].rows), ms: Number(rows[0].ms) } : undefined;
}
