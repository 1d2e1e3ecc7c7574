import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { setRunContext } from '../../src/db/run-context';
import { loadFacts } from '../../src/pipeline/fact-load';
import { applyStepSettings } from '../../src/pipeline/steps';
import { loadExpectations } from '../../src/quality/expectations';
import { checkModel, hashJoinsForLargeScope } from '../../src/quality/runner';
import { ExpectationError } from '../../src/errors/expectation-error';
import { expectPoolUsable, inRolledBackTransaction } from '../helpers/pooled';
import { partitionsOf } from '../helpers/partitions';
import { currentSettings, settingsWhenSent, whenSent } from '../helpers/settings-spy';
import { firstLoad } from '../helpers/first-load';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The two ways the facts step fills gold.fact_sales (src/pipeline/fact-load.ts): an empty table's
// one partition is built whole by CREATE TABLE AS and attached (migration 031), otherwise
// sql/gold/fact_sales.sql upserts. Both must give the same facts and indexes, and a failed build
// must leave the facts transaction to roll back cleanly, the empty partition in place.
let t: TestEnv;
let runId: number;
let expected: { n: number; digest: string };
const AS_OF = '2025-06-30';
const factsDigest = async (c: pg.ClientBase): Promise<{ n: number; digest: string }> =>
  (await c.query(`select count(*)::int as n, md5(string_agg(f::text, '|' order by order_number, product_number)) as digest from gold.fact_sales f`)).rows[0];
const factIndexes = async (c: pg.ClientBase): Promise<string[]> =>
  (await c.query(`select indexdef from pg_indexes where schemaname = 'gold' and tablename = 'fact_sales' order by 1`)).rows.map((r) => r.indexdef);
const partitions = (c: pg.ClientBase) => partitionsOf(c, 'gold.fact_sales');

/** Empties the fact table and runs loadFacts in a transaction that is rolled back; returns what it saw. */
async function reload(opts: { whole?: boolean }, before?: (c: pg.ClientBase) => Promise<void>) {
  return inRolledBackTransaction(t.rt.pool, async (c) => {
    await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
    await setRunContext(c, { runId, asOf: AS_OF });
    await c.query('truncate gold.fact_sales');
    await before?.(c);
    const load = await loadFacts(c, opts);
    return { load, facts: await factsDigest(c), indexes: await factIndexes(c), partitions: await partitions(c) };
  });
}

beforeAll(async () => {
  t = await createTestEnv('fact_load');
  runId = await firstLoad(t, { customers: 1500, seed: 5, asOf: AS_OF });
  expected = await factsDigest(t.rt.pool as unknown as pg.ClientBase);
});
afterAll(async () => t?.cleanup());

describe('loading the facts of a first load', () => {
  it('builds an empty fact table whole and attaches it, and upserts otherwise, with the same facts and indexes', async () => {
    expect(expected.n).toBeGreaterThan(1000);
    const indexes = await factIndexes(t.rt.pool as unknown as pg.ClientBase);
    expect(indexes.length).toBeGreaterThanOrEqual(5);
    const before = await partitions(t.rt.pool as unknown as pg.ClientBase);
    // One partition, the default, every index of it attached to the parent's (migration 031).
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ partition: 'gold.fact_sales_rows', bound: 'DEFAULT' });
    expect(before[0]!.indexes).toHaveLength(indexes.length);
    expect(before[0]!.indexes.every((i) => !i.endsWith(' -> -'))).toBe(true);
    const whole = await reload({});
    expect(whole.load.path).toBe('swap');
    expect(whole.facts).toEqual(expected);
    expect(whole.indexes).toEqual(indexes);
    expect(whole.partitions).toHaveLength(1);
    expect(whole.partitions[0]).toMatchObject({ partition: 'gold.fact_sales_rows', bound: 'DEFAULT' });
    expect(whole.partitions[0]!.indexes.map((i) => i.split(' -> ')[1]).sort()).toEqual(before[0]!.indexes.map((i) => i.split(' -> ')[1]).sort());
    const upserted = await reload({ whole: false });
    expect(upserted.load.path).toBe('upsert');
    expect(upserted.facts).toEqual(expected);
    expect(upserted.indexes).toEqual(indexes);
    // Nothing committed: the warehouse is as the pipeline left it.
    expect(await factsDigest(t.rt.pool as unknown as pg.ClientBase)).toEqual(expected);
  });

  it('keys each fact by its order date as YYYYMMDD, for any year and in any session time zone, by the date dimension where it holds the day (migrations 026, 035)', async () => {
    const keys = await inRolledBackTransaction(t.rt.pool, async (c) => {
      const file = (await c.query<{ f: string }>('select min(_file_id) as f from silver.sales')).rows[0]!.f;
      // Lines of a run of their own, at the edges of the 8-digit dates silver accepts.
      await c.query(
        `insert into silver.sales (order_number, product_number, customer_id, order_date, _file_id, _line, _run_id)
         select 'SO-EDGE-' || n, 'P', null, d, $1, n, -26
           from unnest(array['1000-01-01', '1999-12-31', '2000-02-29', '2024-12-31', '9999-12-31', null]::date[]) with ordinality u(d, n)`,
        [file],
      );
      const out: Record<string, unknown[]> = {};
      for (const zone of ['UTC', 'Pacific/Kiritimati', 'America/Adak']) {
        await c.query(`select set_config('timezone', $1, true)`, [zone]);
        await setRunContext(c, { runId: -26, asOf: AS_OF });
        out[zone] = (await c.query(`select order_date_key from meta.run_fact_image order by order_number`)).rows.map((r) => r.order_date_key);
      }
      // A day the date dimension holds takes its key from there (migration 035): a key changed there shows.
      const moved = await c.query(`update gold.dim_date set date_key = 99999998 where full_date = '2024-12-31'`);
      const fromDimension = moved.rowCount === 1 && (await c.query(`select order_date_key from meta.run_fact_image where order_date = '2024-12-31'`)).rows[0]?.order_date_key;
      const mismatched = (await c.query<{ n: number }>(
        `select count(*)::int as n from gold.fact_sales where order_date_key is distinct from to_char(order_date, 'YYYYMMDD')::int`,
      )).rows[0]!.n;
      return { out, mismatched, fromDimension };
    });
    const want = [10000101, 19991231, 20000229, 20241231, 99991231, null];
    expect(keys.fromDimension).toBe(99999998);
    expect(keys.out).toEqual({ UTC: want, 'Pacific/Kiritimati': want, 'America/Adak': want });
    expect(keys.mismatched).toBe(0);
  });

  it('a fact table built whole proves conservation by its count; a count that does not add up runs the full check, which names the lost line', async () => {
    const spec = loadExpectations('gold').fact_sales!;
    expect(spec.expectations.some((e) => e.rule === 'conservation')).toBe(true);
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf: AS_OF });
      await c.query('truncate gold.fact_sales');
      const load = await loadFacts(c);
      const silverRows = (await c.query<{ n: number }>('select count(*)::int as n from silver.sales where _run_id = $1', [runId])).rows[0]!.n;
      const wholeLoad = { ...load.wholeLoad!, silverRows };
      const proven = await checkModel(c, 'gold', 'fact_sales', spec, { wholeLoad });
      // One fact lost after the load, and a count that says so: the anti-join runs and finds it.
      const lost = (await c.query(`delete from gold.fact_sales where ctid = (select min(ctid) from gold.fact_sales) returning order_number, product_number`)).rows[0];
      const failed = await checkModel(c, 'gold', 'fact_sales', spec, { wholeLoad: { ...wholeLoad, loaded: silverRows - 1 } }).catch((err: unknown) => err);
      return { load, silverRows, proven, lost, failed };
    });
    expect(seen.load.path).toBe('swap');
    expect(seen.load.wholeLoad).toEqual({ model: 'fact_sales', from: 'sales', loaded: expected.n });
    expect(seen.silverRows).toBe(expected.n);
    expect(seen.proven.results.find((r) => r.rule === 'conservation')).toMatchObject({ rowsChecked: expected.n, rowsFailed: 0, outcome: 'passed' });
    expect(seen.failed).toBeInstanceOf(ExpectationError);
    const conservation = ((seen.failed as ExpectationError).results as { rule?: string }[]).find((r) => r.rule === 'conservation');
    expect(conservation).toMatchObject({ rowsChecked: expected.n, rowsFailed: 1, outcome: 'failed', sampleKeys: [seen.lost] });
  });

  it('a fact table upserted proves conservation by its counts; counts that do not add up run the full check, which names the lost line', async () => {
    const spec = loadExpectations('gold').fact_sales!;
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf: AS_OF });
      // Three of the run's facts gone: the upsert inserts them again and finds the others there.
      await c.query(`delete from gold.fact_sales where ctid in (select ctid from gold.fact_sales order by order_number, product_number limit 3)`);
      const load = await loadFacts(c);
      const silverRows = (await c.query<{ n: number }>('select count(*)::int as n from silver.sales where _run_id = $1', [runId])).rows[0]!.n;
      const upsert = { ...load.upsert!, silverRows };
      const spy = whenSent(c, /with lost as/, async () => true);
      let proven;
      try {
        proven = await checkModel(c, 'gold', 'fact_sales', spec, { upsert });
      } finally {
        spy.stop();
      }
      // One fact lost after the load, and counts that say so: the anti-join runs and finds it.
      const lost = (await c.query(`delete from gold.fact_sales where ctid = (select min(ctid) from gold.fact_sales) returning order_number, product_number`)).rows[0];
      const failed = await checkModel(c, 'gold', 'fact_sales', spec, { upsert: { ...upsert, kept: upsert.kept - 1 } }).catch((err: unknown) => err);
      // Counts of another model, or of a load from another silver table, prove nothing here.
      const other = whenSent(c, /with lost as/, async () => true);
      try {
        await checkModel(c, 'gold', 'fact_sales', spec, { upsert: { ...upsert, model: 'agg_daily_sales' } }).catch(() => undefined);
        await checkModel(c, 'gold', 'fact_sales', spec, { upsert: { ...upsert, from: 'customers' } }).catch(() => undefined);
      } finally {
        other.stop();
      }
      return { load, silverRows, proven, antiJoins: spy.seen.length, lost, failed, otherAntiJoins: other.seen.length };
    });
    expect(seen.load.path).toBe('upsert');
    expect(seen.load.upsert).toEqual({ model: 'fact_sales', from: 'sales', inserted: 3, kept: expected.n - 3 });
    expect(seen.silverRows).toBe(expected.n);
    expect(seen.proven!.results.find((r) => r.rule === 'conservation')).toMatchObject({ rowsChecked: expected.n, rowsFailed: 0, outcome: 'passed' });
    expect(seen.antiJoins).toBe(0);
    expect(seen.failed).toBeInstanceOf(ExpectationError);
    const conservation = ((seen.failed as ExpectationError).results as { rule?: string }[]).find((r) => r.rule === 'conservation');
    expect(conservation).toMatchObject({ rowsChecked: expected.n, rowsFailed: 1, outcome: 'failed', sampleKeys: [seen.lost] });
    expect(seen.otherAntiJoins).toBe(2);
  });

  it("a whole load's CREATE TABLE AS runs with a leader that only writes, after the date dimension; the step gets gold's settings back", async () => {
    const names = ['parallel_leader_participation', 'max_parallel_workers_per_gather', 'parallel_tuple_cost'];
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf: AS_OF });
      await c.query('truncate gold.fact_sales, gold.dim_date');
      const before = await currentSettings(c, names);
      const spy = settingsWhenSent(c, /create table staging\.fact_sales_load/, names);
      // The date dimension is filled before the facts take their keys from it (migration 035).
      const undated = whenSent(c, /create table staging\.fact_sales_load/, async (x) =>
        Number((await x.query(`select count(*) from silver.sales s where s._run_id = meta.ctx_run_id() and s.order_date is not null
                                   and not exists (select 1 from gold.dim_date d where d.full_date = s.order_date)`)).rows[0].count));
      try {
        expect((await loadFacts(c)).path).toBe('swap');
      } finally {
        undated.stop();
        spy.stop();
      }
      return { before, during: spy.seen, undated: undated.seen, after: await currentSettings(c, names) };
    });
    expect(seen.undated).toEqual([0]);
    expect(seen.during).toEqual([{ ...seen.before, parallel_leader_participation: 'off' }]);
    // Gold's own price of handing rows over (applyStepSettings), not the server's default.
    expect(seen.after).toEqual(seen.before);
    expect(seen.after.parallel_tuple_cost).toBe('0.01');
    expect(seen.after.parallel_leader_participation).toBe('on');
  });

  it('a build that fails at its key (a repeated key) fails the step, and its transaction rolls back with nothing left behind', async () => {
    const before = await partitions(t.rt.pool as unknown as pg.ClientBase);
    // A run's line twice in silver (no key there for this test): the staged facts' key build refuses it.
    const repeated = async (c: pg.ClientBase): Promise<void> => {
      await c.query('alter table silver.sales drop constraint sales_pkey');
      await c.query(`insert into silver.sales select * from silver.sales where _run_id = $1 limit 1`, [runId]);
    };
    await expect(reload({}, repeated)).rejects.toThrow(/fact_sales: index fact_sales_rows_pkey failed: could not create unique index .*SQLSTATE 23505.* is duplicated/);
    await expectPoolUsable(t.rt.pool);
    expect(await factsDigest(t.rt.pool as unknown as pg.ClientBase)).toEqual(expected);
    expect(await factIndexes(t.rt.pool as unknown as pg.ClientBase)).toHaveLength(5);
    expect(await partitions(t.rt.pool as unknown as pg.ClientBase)).toEqual(before);
    expect((await t.rt.pool.query(`select to_regclass('staging.fact_sales_load') as t`)).rows[0].t).toBeNull();
  });
});

describe('the fact expectations of a step with key lookups on', () => {
  // A small day's facts step runs with key lookups on (meta.set_key_lookups); checking its facts'
  // customer keys against the dimension hashes the dimension once the run's facts are 5 % of it
  // or more, and hands the step its settings back after the scan.
  const rules = () => loadExpectations('gold').fact_sales!.expectations.filter((e) => e.rule !== 'conservation') as Parameters<typeof hashJoinsForLargeScope>[4];
  const settings = async (c: pg.ClientBase) =>
    (await c.query(`select current_setting('enable_nestloop') as nestloop, current_setting('random_page_cost') as rpc`)).rows[0];

  it('hashes a large scope, keeps lookups for a small one, and restores the step settings', async () => {
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf: AS_OF });
      await c.query('analyze gold.dim_customers');
      await c.query('select meta.set_key_lookups(true)');
      const step = await settings(c);
      const restoreLarge = await hashJoinsForLargeScope(c, 'gold', '"gold"."fact_sales"', 't._run_id = meta.ctx_run_id()', rules());
      const duringLarge = await settings(c);
      await restoreLarge();
      const afterLarge = await settings(c);
      const restoreSmall = await hashJoinsForLargeScope(c, 'gold', '"gold"."fact_sales"', 't._run_id = -1', rules());
      const duringSmall = await settings(c);
      await restoreSmall();
      // A scope whose size the caller knows (a model built whole) is not counted again: a scope that
      // fails when read is judged by the size given, large or small.
      const unreadable = 't._run_id / 0 = 1';
      const restoreGivenLarge = await hashJoinsForLargeScope(c, 'gold', '"gold"."fact_sales"', unreadable, rules(), 10_000_000);
      const givenLarge = await settings(c);
      await restoreGivenLarge();
      const restoreGivenSmall = await hashJoinsForLargeScope(c, 'gold', '"gold"."fact_sales"', unreadable, rules(), 1);
      const givenSmall = await settings(c);
      await restoreGivenSmall();
      // The whole check with the switch inside: a broken customer key is still found.
      await c.query(`update gold.fact_sales set customer_key = -1 where ctid = (select min(ctid) from gold.fact_sales where customer_key is not null)`);
      const failed = await checkModel(c, 'gold', 'fact_sales', loadExpectations('gold').fact_sales!).catch((err: unknown) => err);
      return { step, duringLarge, afterLarge, duringSmall, givenLarge, givenSmall, failed, afterCheck: await settings(c) };
    });
    expect(seen.step).toEqual({ nestloop: 'on', rpc: '1.1' });
    expect(seen.duringLarge.nestloop).toBe('off');
    expect(seen.afterLarge).toEqual(seen.step);
    expect(seen.duringSmall).toEqual(seen.step);
    expect(seen.givenLarge.nestloop).toBe('off');
    expect(seen.givenSmall).toEqual(seen.step);
    expect(seen.failed).toBeInstanceOf(ExpectationError);
    const rel = ((seen.failed as ExpectationError).results as { rule?: string }[]).find((r) => r.rule?.startsWith('relationships'));
    expect(rel).toMatchObject({ rowsChecked: expected.n, rowsFailed: 1, outcome: 'failed' });
    expect(seen.afterCheck).toEqual(seen.step);
  });

  it("a model built whole is judged by the rows it wrote, not counted again", async () => {
    // The facts' scan with lookups on, once as a step that built them whole says how many it wrote
    // (here: one, a small scope) and once without: the scan keeps lookups only when told.
    const nestloopOfScan = (wholeLoad?: { model: string; from: string; loaded: number; silverRows: number }) =>
      inRolledBackTransaction(t.rt.pool, async (c) => {
        await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
        await setRunContext(c, { runId, asOf: AS_OF });
        await c.query('analyze gold.dim_customers');
        await c.query('select meta.set_key_lookups(true)');
        const spy = settingsWhenSent(c, /count\(\*\) filter/, ['enable_nestloop']);
        try {
          await checkModel(c, 'gold', 'fact_sales', loadExpectations('gold').fact_sales!, wholeLoad ? { wholeLoad } : {});
        } finally {
          spy.stop();
        }
        return spy.seen.map((x) => x.enable_nestloop);
      });
    expect(await nestloopOfScan()).toEqual(['off']);
    expect(await nestloopOfScan({ model: 'fact_sales', from: 'sales', loaded: 1, silverRows: 1 })).toEqual(['on']);
    // Another model's count says nothing about this one's scope.
    expect(await nestloopOfScan({ model: 'agg_daily_sales', from: 'sales', loaded: 1, silverRows: 1 })).toEqual(['off']);
  });
});
