import type { Job } from 'bullmq';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { setRunContext } from '../../src/db/run-context';
import { loadFacts, runSilverLines, stageFactsAhead } from '../../src/pipeline/fact-load';
import { applyStepSettings, runGoldStep, runSilverStep } from '../../src/pipeline/steps';
import { partitionsOf } from '../helpers/partitions';
import { inRolledBackTransaction } from '../helpers/pooled';
import { whenSentOnPool } from '../helpers/settings-spy';
import { firstLoad, forgetFacts } from '../helpers/first-load';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { goldJob } from '../../workers/gold';

// A first load's facts in the pipeline (runGoldStep → stageFactsAhead, migration 036): staged in
// a committed transaction outside gold, the parent's indexes built on them on several connections
// side by side (DEFAULTS.factIndexLanes), then attached in the facts step's transaction. Gold must not change before that
// transaction commits, a failure must leave it as it was, and the result must be the warehouse
// the first load built.
let t: TestEnv;
let runId: number;
const AS_OF = '2025-06-30';
const INDEX_BUILD = /create (?:unique )?index (fact_sales_rows_\w+) on staging\.fact_sales_load /;

const digest = async (sql: string): Promise<string> => (await t.rt.pool.query(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) || ':' || count(*) as d from (${sql}) x`)).rows[0].d;
/** Gold as the tests compare it: the facts, their index definitions, the date dimension, the aggregates. */
const gold = async () => ({
  facts: await digest('select * from gold.fact_sales'),
  indexes: await digest(`select indexdef from pg_indexes where schemaname = 'gold' and tablename = 'fact_sales'`),
  dates: await digest('select * from gold.dim_date'),
  aggregates: await digest(`select 'd', a::text from gold.agg_daily_sales a union all select 'm', a::text from gold.agg_monthly_sales a
                            union all select 'c', a::text from gold.customer_sales a union all select 'p', a::text from gold.product_sales a`),
});
/** What staging holds: its tables and the span rows. */
const staging = async () => ({
  tables: (await t.rt.pool.query(`select coalesce(string_agg(tablename, ',' order by tablename), '') as n from pg_tables where schemaname = 'staging' and tablename <> 'fact_sales_span'`)).rows[0].n as string,
  spans: (await t.rt.pool.query('select count(*)::int as n from staging.fact_sales_span')).rows[0].n as number,
});

beforeAll(async () => {
  t = await createTestEnv('staged_facts');
  runId = await firstLoad(t, { customers: 400, seed: 17, asOf: AS_OF });
}, 120_000);
afterAll(async () => t?.cleanup());

describe("a first load's facts, staged ahead of the facts step", () => {
  it('build their indexes on several connections without parallel workers while gold stays empty, then attach them: the same warehouse, no index built twice', async () => {
    const built = await gold();
    await forgetFacts(t, runId);
    // Each index build as it is sent: which index, on which backend, with which setting, and what
    // gold and staging hold then (the build's transaction sees only what is committed).
    const spy = whenSentOnPool(t.rt.pool, INDEX_BUILD, async (c, match) => {
      const { rows } = await c.query(
        `select pg_backend_pid() as pid, current_setting('max_parallel_maintenance_workers') as workers,
                (select count(*)::int from gold.fact_sales) as facts, (select count(*)::int from gold.dim_date) as dates,
                (select count(*)::int from staging.fact_sales_load) as staged`,
      );
      return { index: match[1]!, ...rows[0] } as { index: string; pid: number; workers: string; facts: number; dates: number; staged: number };
    });
    // The staged table's indexes just before the attach (in the facts step's transaction).
    const attaching = whenSentOnPool(t.rt.pool, /attach partition gold\.fact_sales_rows/, async (c) =>
      (await c.query(`select array_agg(indexrelid::regclass::text || ' ' || indexrelid order by 1) as i from pg_index where indrelid = 'staging.fact_sales_load'::regclass`)).rows[0].i as string[]);
    try {
      await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
    } finally {
      attaching.stop();
      spy.stop();
    }
    const lines = Number((await t.rt.pool.query('select count(*) from silver.sales where _run_id = $1', [runId])).rows[0].count);
    // Named as the partition they replace named its own.
    expect(spy.seen.map((s) => s.index).sort()).toEqual([
      'fact_sales_rows__run_id_idx', 'fact_sales_rows_customer_id_idx', 'fact_sales_rows_customer_id_idx1', 'fact_sales_rows_order_date_key_idx', 'fact_sales_rows_pkey',
    ]);
    expect(new Set(spy.seen.map((s) => s.pid)).size).toBe(DEFAULTS.factIndexLanes);
    expect(spy.seen.every((s) => s.workers === '0')).toBe(true);
    // Gold as it was (emptied), the date dimension included: the staged build took back the days it lent itself.
    expect(spy.seen.every((s) => s.facts === 0 && s.dates === 0 && s.staged === lines)).toBe(true);
    expect(await gold()).toEqual(built);
    // The partition's indexes are those staged (the same objects), each attached to the parent's: the attach built none.
    const [partition] = await partitionsOf(t.rt.pool as unknown as pg.ClientBase, 'gold.fact_sales');
    expect(partition).toMatchObject({ partition: 'gold.fact_sales_rows', bound: 'DEFAULT' });
    expect(partition!.indexes).toHaveLength(5);
    expect(partition!.indexes.every((i) => !i.endsWith(' -> -'))).toBe(true);
    const now = (await t.rt.pool.query(`select array_agg(indexrelid::regclass::text || ' ' || indexrelid order by 1) as i from pg_index where indrelid = 'gold.fact_sales_rows'::regclass`)).rows[0].i as string[];
    expect(attaching.seen).toHaveLength(1);
    expect(now).toEqual(attaching.seen[0]!.map((i) => i.replace(/^staging\./, 'gold.')));
    expect(await staging()).toEqual({ tables: '', spans: 0 });
  });

  it('a facts step that fails after staging leaves gold as it was; the next attempt replaces what staging kept', async () => {
    const built = await gold();
    await forgetFacts(t, runId);
    const emptied = await gold();
    // A constraint of the parent that the staged table lacks: the attach in the facts step's
    // transaction refuses it (as any failure of that transaction would fail the step).
    await t.rt.pool.query('alter table gold.fact_sales add constraint test_no_facts check (quantity < 0)');
    try {
      await expect(runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId)).rejects.toThrow(/fact_sales_attach\.sql\) failed: child table is missing constraint "test_no_facts"/);
      expect(await gold()).toEqual(emptied);
      expect(await staging()).toEqual({ tables: 'fact_sales_load', spans: 1 });
      expect((await t.rt.pool.query(`select status from meta.steps where run_id = $1 and layer = 'gold' and step = 'facts'`, [runId])).rows[0].status).toBe('failed');
    } finally {
      await t.rt.pool.query('alter table gold.fact_sales drop constraint test_no_facts');
    }
    await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
    expect(await gold()).toEqual(built);
    expect(await staging()).toEqual({ tables: '', spans: 0 });
  });

  it('the facts step counts the run\'s lines as the staged build did; one lane builds with the server\'s parallel workers', async () => {
    const built = await gold();
    await forgetFacts(t, runId);
    const server = (await t.rt.pool.query(`select current_setting('max_parallel_maintenance_workers') as w`)).rows[0].w;
    expect(server).not.toBe('0');
    const spy = whenSentOnPool(t.rt.pool, INDEX_BUILD, async (c) => (await c.query(`select pg_backend_pid() as pid, current_setting('max_parallel_maintenance_workers') as w`)).rows[0]);
    const setUp = async (c: pg.ClientBase): Promise<void> => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold', 'facts');
      await setRunContext(c, { runId, asOf: AS_OF });
    };
    const lead = await t.rt.pool.connect();
    let staged;
    try {
      staged = await stageFactsAhead(t.rt.pool, lead, setUp, { lanes: 1 });
    } finally {
      lead.release();
      spy.stop();
    }
    expect(spy.seen).toHaveLength(5);
    expect(new Set(spy.seen.map((s) => s.pid)).size).toBe(1);
    expect(spy.seen.every((s) => s.w === server)).toBe(true);
    // The span the staged build committed, changed: the step's count follows it (no scan of its own).
    const counted = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await setUp(c);
      await c.query('update staging.fact_sales_span set lines = lines + 7 where run_id = $1', [runId]);
      const load = await loadFacts(c, { staged });
      return { load, lines: await runSilverLines(c) };
    });
    expect(counted.load).toEqual({ path: 'swap', wholeLoad: { model: 'fact_sales', from: 'sales', loaded: staged!.loaded } });
    expect(counted.lines).toBe(staged!.loaded + 7);
    // The pipeline's own step finishes the job from here: it stages again and attaches.
    await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
    expect(await gold()).toEqual(built);
    expect(await staging()).toEqual({ tables: '', spans: 0 });
  });

  it("a first load's silver step counts the run's lines for the facts step, which reads them instead of scanning; any later silver step drops the count", async () => {
    const built = await gold();
    const span = `select lines::int, first_day::text, last_day::text, lo::text, hi::text from meta.silver_sales_span where run_id = $1`;
    const scan = `select count(*)::int as lines, min(order_date)::text as first_day, max(order_date)::text as last_day,
                         least(min(order_date), min(ship_date), min(due_date))::text as lo,
                         greatest(max(order_date), max(ship_date), max(due_date))::text as hi
                    from silver.sales where _run_id = $1`;
    // The pipeline's first load used its count and emptied it with the attach.
    expect((await t.rt.pool.query('select count(*)::int as n from meta.silver_sales_span')).rows[0].n).toBe(0);
    // The order lines loaded into an empty silver.sales again (the first load's path), facts forgotten.
    await forgetFacts(t, runId);
    await t.rt.pool.query('truncate silver.sales');
    expect((await runSilverStep(t.rt.pool, DEFAULTS.stepWorkMem, runId, 'sales', 'crm_sales_details')).path).toBe('swap');
    const counted = (await t.rt.pool.query(span, [runId])).rows;
    expect(counted).toEqual((await t.rt.pool.query(scan, [runId])).rows);
    expect(counted[0].lines).toBeGreaterThan(1000);
    // Changed, it is what the facts step counts, staged ahead or in its own transaction: read, not scanned.
    const setUp = async (c: pg.ClientBase): Promise<void> => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold', 'facts');
      await setRunContext(c, { runId, asOf: AS_OF });
    };
    const lines = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await setUp(c);
      await c.query('update meta.silver_sales_span set lines = lines + 7 where run_id = $1', [runId]);
      const load = await loadFacts(c);
      return { loaded: load.wholeLoad?.loaded, lines: await runSilverLines(c) };
    });
    expect(lines).toEqual({ loaded: counted[0].lines, lines: counted[0].lines + 7 });
    // The pipeline's gold step: the same warehouse, the count used and emptied.
    await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
    expect(await gold()).toEqual(built);
    expect((await t.rt.pool.query('select count(*)::int as n from meta.silver_sales_span')).rows[0].n).toBe(0);
    // A silver step that updates silver.sales drops a count left from a first load.
    await t.rt.pool.query(`insert into meta.silver_sales_span (run_id, lines) values ($1, 1)`, [runId]);
    expect((await runSilverStep(t.rt.pool, DEFAULTS.stepWorkMem, runId, 'sales', 'crm_sales_details')).path).toBe('upsert');
    expect((await t.rt.pool.query('select count(*)::int as n from meta.silver_sales_span')).rows[0].n).toBe(0);
  });

  it('a run with facts already there stages nothing: the facts step reads what the run changed once', async () => {
    const built = await gold();
    await t.rt.pool.query(`delete from meta.steps where run_id = $1 and layer = 'gold' and step = 'facts'`, [runId]);
    const spy = whenSentOnPool(t.rt.pool, /create temp table changed_days/, async () => 1);
    const antiJoins = whenSentOnPool(t.rt.pool, /with lost as/, async () => 1);
    try {
      await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
    } finally {
      spy.stop();
      antiJoins.stop();
    }
    expect(spy.seen).toHaveLength(1);
    expect(await gold()).toEqual(built);
    // The upsert's counts prove the facts' conservation (every line of the run found with its
    // fact): stored as checked, without the anti-join.
    expect(antiJoins.seen).toHaveLength(0);
    const lines = Number((await t.rt.pool.query('select count(*) from silver.sales where _run_id = $1', [runId])).rows[0].count);
    const stored = await t.rt.pool.query(
      `select rows_checked::int as checked, rows_failed::int as failed from meta.quality_results
        where run_id = $1 and model = 'fact_sales' and rule like 'conservation%' order by checked_at desc limit 1`,
      [runId],
    );
    expect(stored.rows[0]).toEqual({ checked: lines, failed: 0 });
    expect(await staging()).toEqual({ tables: '', spans: 0 });
  });

  it("the gold job checks the dimensions beside its facts step, while the step holds the gold lock; the run keeps every check", async () => {
    await forgetFacts(t, runId);
    await t.rt.pool.query(`delete from meta.checks where run_id = $1`, [runId]);
    // When the customer versions' check is sent: is the facts step under way, its lock held?
    const spy = whenSentOnPool(t.rt.pool, /from gold\.dim_customers\s*\), closed as/, async (c) =>
      (await c.query(
        `select exists (select 1 from pg_locks where locktype = 'advisory' and mode = 'ExclusiveLock' and granted and pid <> pg_backend_pid()
                          and objid = hashtext('gold')::oid) as gold_locked,
                (select status from meta.steps where run_id = $1 and layer = 'gold' and step = 'facts') as facts`,
        [runId],
      )).rows[0]);
    try {
      await goldJob.handler(t.rt, { runId }, {} as Job); // the gold handler reads nothing of its job
    } finally {
      spy.stop();
    }
    // Sent once, under the step's lock, before its facts were done (not at the run's end).
    expect(spy.seen).toHaveLength(1);
    expect(spy.seen[0]!.gold_locked).toBe(true);
    expect([null, 'running']).toContain(spy.seen[0]!.facts);
    const checks = await t.rt.pool.query(`select name, passed from meta.checks where run_id = $1 order by name`, [runId]);
    expect(checks.rows).toHaveLength(6);
    expect(checks.rows.every((r) => r.passed)).toBe(true);
  });
});
