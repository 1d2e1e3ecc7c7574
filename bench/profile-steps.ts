/**
 * Developer tool: times each statement of a run's silver or gold step, on a database that holds
 * the run (e.g. a copy of a bench database: `create database prof template metalayer_bench_w2`).
 *
 *   npx tsx bench/profile-steps.ts DBURL RUNID silver ENTITY SOURCE [commit]   (PROFILE_SALES=upsert: sales.sql's path;
 *     PROFILE_SALES=whole-statements: a first load's path statement by statement)
 *   npx tsx bench/profile-steps.ts DBURL RUNID gold [commit]   (PROFILE_FACTS=upsert or statements: the facts' upsert path;
 *     PROFILE_FACTS=whole-statements: an empty fact table built whole, statement by statement)
 *
 * Applies the step runner's settings (applyStepSettings, setRunFiles in src/pipeline/steps.ts), runs sql/<layer>/<file>.sql split at
 * `;` line ends (our SQL files keep that form), then the expectations; rolls back unless `commit`.
 * Each statement's line shows its wall time and the machine's busy core-seconds meanwhile (its
 * parallel workers included; meaningful on an otherwise idle machine).
 * PROFILE_SALES_WORKERS=<n>: the order lines' first load read with n parallel workers (METALAYER_SALES_READ_WORKERS).
 * PROFILE_PRE=<sql> runs first in the transaction (e.g. a truncate, to time a first load). When the
 * facts are among the models the dimensions commit before them, as in the pipeline, and PROFILE_PRE
 * with them: the database then keeps its change (profile a copy).
 * PROFILE_EXPLAIN=<regex> prints EXPLAIN ANALYZE of the matching statements instead of a time.
 * PROFILE_MODELS=<model,…> runs only those gold models (e.g. the facts' models with `commit`, then
 * one aggregate again and again on the warehouse they left).
 * Not a benchmark (no baseline, one run): for finding where a step's time goes.
 */
import pg from 'pg';
import { DEFAULTS } from '../src/config/defaults';
import { setRunContext } from '../src/db/run-context';
import { applyStepSettings, GOLD_AGGREGATES, GOLD_DIMENSION_MODELS, GOLD_FACT_MODELS, setRunFiles } from '../src/pipeline/steps';
import { loadExpectations } from '../src/quality/expectations';
import { loadFacts, runSilverLines, upsertCounts, type FactLoad } from '../src/pipeline/fact-load';
import { loadSales } from '../src/pipeline/sales-load';
import { applyWholeLoadSettings } from '../src/pipeline/whole-load-settings';
import { sourceByName } from '../src/contracts/retail';
import { checkContractTypes, tallyOfFlags, type FlagTally } from '../src/quality/contract-types';
import { checkModel } from '../src/quality/runner';
import { machineCpuSeconds } from './processes';
import { countChangesFromZero, sqlStatements } from './setup';

const [url, runIdS, layer, entity, source, commitFlag] = process.argv.slice(2);
const runId = Number(runIdS);
const c = new pg.Client({ connectionString: url });
await c.connect();
const explainRe = process.env.PROFILE_EXPLAIN ? new RegExp(process.env.PROFILE_EXPLAIN) : null;
const t = async (label: string, sql: string, params?: unknown[]) => {
  if (explainRe && explainRe.test(sql)) {
    const r = await c.query(`explain (analyze, buffers, settings) ${sql}`, params as never);
    console.log(r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n'));
    return r;
  }
  const s = performance.now();
  const busy = machineCpuSeconds().busy; // the machine's: the statement's parallel workers included
  const r = await c.query(sql, params as never);
  const ms = performance.now() - s;
  const cpu = machineCpuSeconds().busy - busy;
  console.log(`${ms.toFixed(0).padStart(7)} ms ${cpu.toFixed(2).padStart(6)} core-s  ${label}  ${(r as pg.QueryResult).rowCount ?? ''}`);
  return r;
};
const asOf = (await c.query('select as_of from meta.runs where run_id = $1', [runId])).rows[0].as_of;
const total = performance.now();
await c.query('begin');
// On a copy, no ANALYZE the bench's own warehouse would not run (rolled back unless `commit`).
await countChangesFromZero(c);
// PROFILE_PRE: SQL run first in the transaction, e.g. `truncate silver.customers` to time a first load.
if (process.env.PROFILE_PRE) await c.query(process.env.PROFILE_PRE);
await applyStepSettings(c, DEFAULTS.stepWorkMem, layer === 'gold' ? 'gold' : 'silver');
await setRunContext(c, { runId, asOf });
if (layer === 'silver') {
  await setRunFiles(c, runId, source!);
  await t('analyze bronze', `select meta.analyze_bronze_files($1, meta.ctx_file_ids())`, [source]);
  // The order lines as the step loads them (loadSales: built whole when silver.sales is empty,
  // timed as one piece); PROFILE_SALES=upsert times sql/silver/sales.sql and its tail statement
  // by statement.
  const files = entity === 'sales' ? ['silver/sales.sql', 'silver/sales_keys_and_rejects.sql'] : [`silver/${entity}.sql`];
  let tally: FlagTally | undefined;
  if (entity === 'sales' && process.env.PROFILE_SALES === 'whole-statements') {
    // The first load's path (loadSales on an empty silver.sales) statement by statement, with its settings.
    const restore = await applyWholeLoadSettings(c, {
      readWorkers: process.env.PROFILE_SALES_WORKERS ? Number(process.env.PROFILE_SALES_WORKERS) : DEFAULTS.salesReadWorkers,
    });
    let last: pg.QueryResult | undefined;
    for (const s of sqlStatements('silver/sales_first_load.sql')) last = await t(s.slice(0, 90).replace(/\s+/g, ' '), s);
    tally = tallyOfFlags(last!.rows as { flags: number; lines: string }[]);
    await restore();
    for (const s of sqlStatements('silver/sales_keys_and_rejects.sql')) await t(s.slice(0, 90).replace(/\s+/g, ' '), s);
  } else if (entity === 'sales' && process.env.PROFILE_SALES !== 'upsert') {
    const m0 = performance.now();
    const load = await loadSales(c, { readWorkers: process.env.PROFILE_SALES_WORKERS ? Number(process.env.PROFILE_SALES_WORKERS) : undefined });
    tally = load.tally;
    console.log(`${(performance.now() - m0).toFixed(0).padStart(7)} ms  [sales] loadSales, path ${load.path}`);
  } else for (const f of files) for (const s of sqlStatements(f)) await t(s.slice(0, 90).replace(/\s+/g, ' '), s);
  const contract = sourceByName(source!);
  const c0 = performance.now();
  if (contract) await checkContractTypes(c, contract, { tally });
  console.log(`${(performance.now() - c0).toFixed(0).padStart(7)} ms  contract types`);
  const spec = loadExpectations('silver')[entity!];
  const s0 = performance.now();
  const b0 = machineCpuSeconds().busy;
  if (spec) await checkModel(c, 'silver', entity!, spec);
  console.log(`${(performance.now() - s0).toFixed(0).padStart(7)} ms  ${(machineCpuSeconds().busy - b0).toFixed(2).padStart(5)} core-s  expectations`);
} else {
  // One transaction here, and the aggregates one after another: each statement's own cost. The
  // pipeline gives each model group a transaction of its own, so the planner settings a script
  // sets for itself (customer_sales.sql turns hash joins off, the key lookups switch nested
  // loops on) are reset before the next group, as a new transaction would have them (otherwise a
  // first load's fact expectations, run after the aggregates, took 8.8 s here and 2 s in a run).
  const freshSettings = async (): Promise<void> => {
    await c.query('reset all'); // every setting a script changed, then the step's own again
    await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
    await setRunContext(c, { runId, asOf });
  };
  // The fact table as the facts step loads it (loadFacts: built whole and attached when the table
  // is empty, migration 031); PROFILE_FACTS=upsert forces sql/gold/fact_sales.sql, and
  // PROFILE_FACTS=statements times that path's scripts statement by statement.
  let wholeLoad: FactLoad['wholeLoad'];
  let upsert: FactLoad['upsert'];
  const only = process.env.PROFILE_MODELS?.split(',');
  // The date dimension is written by loadFacts (or the statements below), after fact_changes.sql.
  const models = [...GOLD_DIMENSION_MODELS, ...GOLD_FACT_MODELS.filter((x) => x !== 'dim_date'), ...GOLD_AGGREGATES, 'warehouse_state'];
  for (const m of models.filter((x) => !only || only.includes(x))) {
    if (m === 'fact_sales' || (GOLD_AGGREGATES as readonly string[]).includes(m) || m === 'warehouse_state') await freshSettings();
    const m0 = performance.now();
    if (m === 'fact_sales') {
      // As in the pipeline, the dimensions commit before the facts, in a transaction of their own.
      // They stay committed.
      await c.query('commit');
      await c.query('begin');
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf });
      console.log('            (dimensions committed)');
      if (process.env.PROFILE_FACTS === 'statements' || process.env.PROFILE_FACTS === 'whole-statements') {
        // The scripts statement by statement, as loadFacts runs them on a table with facts
        // (statements) or on an empty one (whole-statements: the facts staged, indexed and
        // attached in this one transaction, the indexes one after another: the pipeline builds
        // them side by side in transactions of their own, src/pipeline/fact-load.ts).
        const whole = process.env.PROFILE_FACTS === 'whole-statements';
        if (whole) {
          const n = Number((await c.query('select count(*) from gold.fact_sales')).rows[0].count);
          if (n > 0) throw new Error(`PROFILE_FACTS=whole-statements needs an empty gold.fact_sales (${n} rows): PROFILE_PRE='truncate gold.fact_sales'`);
        }
        const scripts = whole
          ? ['fact_changes', 'dim_date', 'fact_sales_stage', 'indexes', 'dim_date', 'keys', 'fact_sales_attach', 'fact_late_customers']
          : ['fact_changes', 'dim_date', 'fact_sales', 'fact_late_customers'];
        const builds = async () =>
          (await c.query(`select index_name, build, make_key from meta.staged_index_builds('gold.fact_sales', 'staging.fact_sales_load', 'fact_sales_rows')`)).rows;
        const upsertResults: pg.QueryResult[] = [];
        for (const f of scripts) {
          if (f === 'indexes') for (const b of await builds()) await t(`[index] ${b.index_name}`, b.build);
          if (f === 'keys') for (const b of await builds()) if (b.make_key) await t(`[key] ${b.index_name}`, b.make_key);
          if (f === 'indexes' || f === 'keys') continue;
          // As loadFacts: the facts staged with a whole load's settings (src/pipeline/whole-load-settings.ts).
          const restore = f === 'fact_sales_stage' ? await applyWholeLoadSettings(c) : undefined;
          for (const s of sqlStatements(`gold/${f}.sql`)) {
            const r = await t(`[${f}] ` + s.slice(0, 80).replace(/\s+/g, ' '), s);
            // As loadFacts: the CREATE TABLE AS's row count is the facts written.
            if (f === 'fact_sales_stage' && r.command === 'SELECT') wholeLoad = { model: 'fact_sales', from: 'sales', loaded: r.rowCount ?? 0 };
            if (f === 'fact_sales') upsertResults.push(r);
          }
          // As loadFacts: the upsert's inserted rows and the lines that had a fact already.
          if (f === 'fact_sales') upsert = { model: 'fact_sales', from: 'sales', ...upsertCounts(upsertResults) };
          await restore?.();
        }
      } else {
        const load = await loadFacts(c, { whole: process.env.PROFILE_FACTS !== 'upsert' });
        wholeLoad = load.wholeLoad;
        upsert = load.upsert;
        console.log(`${(performance.now() - m0).toFixed(0).padStart(7)} ms  [fact_sales] loadFacts, path ${load.path}`);
      }
    } else for (const s of sqlStatements(`gold/${m}.sql`)) await t(`[${m}] ` + s.slice(0, 80).replace(/\s+/g, ' '), s);
    console.log(`${(performance.now() - m0).toFixed(0).padStart(7)} ms  == ${m}`);
    // The expectations at the end of their transaction, with its settings, as runGoldStep's
    // checkGold runs them: the dimensions' after the dimensions, an aggregate's after it, the
    // others' after the facts step's models.
    const dims: readonly string[] = GOLD_DIMENSION_MODELS;
    const aggregates: readonly string[] = GOLD_AGGREGATES;
    const checkedHere = (x: string): boolean =>
      m === GOLD_DIMENSION_MODELS.at(-1) ? dims.includes(x) : m === GOLD_FACT_MODELS.at(-1) ? !dims.includes(x) && !aggregates.includes(x) : x === m && aggregates.includes(x);
    for (const [model, spec] of Object.entries(loadExpectations('gold')).filter(([x]) => checkedHere(x))) {
      const e0 = performance.now();
      // The facts' conservation proven by counting where the load's counts allow, as in runGoldStep.
      const silverRows = wholeLoad || upsert ? await runSilverLines(c) : 0; // changed_span exists once the facts' scripts ran
      await checkModel(c, 'gold', model, spec, { wholeLoad: wholeLoad && { ...wholeLoad, silverRows }, upsert: upsert && { ...upsert, silverRows } });
      console.log(`${(performance.now() - e0).toFixed(0).padStart(7)} ms  expectations ${model}`);
    }
  }
}
const cm = performance.now();
await c.query((layer === 'silver' ? commitFlag : entity) === 'commit' ? 'commit' : 'rollback');
console.log(`${(performance.now() - cm).toFixed(0).padStart(7)} ms  end`);
console.log(`${(performance.now() - total).toFixed(0).padStart(7)} ms  TOTAL`);
await c.end();
