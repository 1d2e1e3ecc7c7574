import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { setRunContext } from '../../src/db/run-context';
import { generate } from '../../src/generate/generator';
import { loadFacts } from '../../src/pipeline/fact-load';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { applyStepSettings } from '../../src/pipeline/steps';
import { loadExpectations } from '../../src/quality/expectations';
import { checkModel, hashJoinsForLargeScope } from '../../src/quality/runner';
import { ExpectationError } from '../../src/errors/expectation-error';
import { expectPoolUsable, inRolledBackTransaction } from '../helpers/pooled';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The two ways the facts step fills gold.fact_sales (src/pipeline/fact-load.ts): an empty table is
// streamed from a second connection (COPY … TO STDOUT into COPY … FROM STDIN), otherwise
// sql/gold/fact_sales.sql upserts. Both must give the same facts, and a failed stream must leave
// the facts transaction to roll back cleanly.
let t: TestEnv;
let runId: number;
let expected: { n: number; digest: string };
const AS_OF = '2025-06-30';
const factsDigest = async (c: pg.ClientBase): Promise<{ n: number; digest: string }> =>
  (await c.query(`select count(*)::int as n, md5(string_agg(f::text, '|' order by order_number, product_number)) as digest from gold.fact_sales f`)).rows[0];
const factIndexes = async (c: pg.ClientBase): Promise<string[]> =>
  (await c.query(`select indexdef from pg_indexes where schemaname = 'gold' and tablename = 'fact_sales' order by 1`)).rows.map((r) => r.indexdef);

/** Empties the fact table and runs loadFacts in a transaction that is rolled back; returns what it saw. */
async function reload(opts: { stream?: boolean }, settings = (r: pg.ClientBase) => applyStepSettings(r, DEFAULTS.stepWorkMem, 'gold')) {
  return inRolledBackTransaction(t.rt.pool, async (c) => {
    await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
    await setRunContext(c, { runId, asOf: AS_OF });
    await c.query('truncate gold.fact_sales');
    const load = await loadFacts(t.rt.pool, c, { runId, asOf: AS_OF }, settings, opts);
    return { load, facts: await factsDigest(c), indexes: await factIndexes(c) };
  });
}

beforeAll(async () => {
  t = await createTestEnv('fact_load');
  const input = path.join(t.tmp, 'in');
  generate({ out: input, customers: 1500, seed: 5, asOf: AS_OF });
  const summary = await runPipeline(t.rt, { inputDir: input, asOf: AS_OF, workers: 1 });
  expect(summary.status, summary.message ?? '').toBe('succeeded');
  runId = summary.runId;
  expected = await factsDigest(t.rt.pool as unknown as pg.ClientBase);
});
afterAll(async () => t?.cleanup());

describe('loading the facts of a first load', () => {
  it('streams an empty fact table from a second connection and upserts otherwise, with the same facts and indexes', async () => {
    expect(expected.n).toBeGreaterThan(1000);
    const indexes = await factIndexes(t.rt.pool as unknown as pg.ClientBase);
    expect(indexes.length).toBeGreaterThanOrEqual(5);
    const streamed = await reload({});
    expect(streamed.load.path).toBe('stream');
    expect(streamed.facts).toEqual(expected);
    expect(streamed.indexes).toEqual(indexes);
    const upserted = await reload({ stream: false });
    expect(upserted.load.path).toBe('upsert');
    expect(upserted.facts).toEqual(expected);
    expect(upserted.indexes).toEqual(indexes);
    // Nothing committed: the warehouse is as the pipeline left it.
    expect(await factsDigest(t.rt.pool as unknown as pg.ClientBase)).toEqual(expected);
  });

  it('keys each fact by its order date as YYYYMMDD, for any year and in any session time zone (migration 026)', async () => {
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
      const mismatched = (await c.query<{ n: number }>(
        `select count(*)::int as n from gold.fact_sales where order_date_key is distinct from to_char(order_date, 'YYYYMMDD')::int`,
      )).rows[0]!.n;
      return { out, mismatched };
    });
    const want = [10000101, 19991231, 20000229, 20241231, 99991231, null];
    expect(keys.out).toEqual({ UTC: want, 'Pacific/Kiritimati': want, 'America/Adak': want });
    expect(keys.mismatched).toBe(0);
  });

  it('the stream proves conservation by its count; a count that does not add up runs the full check, which names the lost line', async () => {
    const spec = loadExpectations('gold').fact_sales!;
    expect(spec.expectations.some((e) => e.rule === 'conservation')).toBe(true);
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'gold');
      await setRunContext(c, { runId, asOf: AS_OF });
      await c.query('truncate gold.fact_sales');
      const load = await loadFacts(t.rt.pool, c, { runId, asOf: AS_OF }, (r) => applyStepSettings(r, DEFAULTS.stepWorkMem, 'gold'));
      const silverRows = (await c.query<{ n: number }>('select count(*)::int as n from silver.sales where _run_id = $1', [runId])).rows[0]!.n;
      const streamed = { ...load.streamed!, silverRows };
      const proven = await checkModel(c, 'gold', 'fact_sales', spec, { streamed });
      // One fact lost after the stream, and a count that says so: the anti-join runs and finds it.
      const lost = (await c.query(`delete from gold.fact_sales where ctid = (select min(ctid) from gold.fact_sales) returning order_number, product_number`)).rows[0];
      const failed = await checkModel(c, 'gold', 'fact_sales', spec, { streamed: { ...streamed, loaded: silverRows - 1 } }).catch((err: unknown) => err);
      return { load, silverRows, proven, lost, failed };
    });
    expect(seen.load.path).toBe('stream');
    expect(seen.load.streamed).toEqual({ model: 'fact_sales', from: 'sales', loaded: expected.n });
    expect(seen.silverRows).toBe(expected.n);
    expect(seen.proven.results.find((r) => r.rule === 'conservation')).toMatchObject({ rowsChecked: expected.n, rowsFailed: 0, outcome: 'passed' });
    expect(seen.failed).toBeInstanceOf(ExpectationError);
    const conservation = ((seen.failed as ExpectationError).results as { rule?: string }[]).find((r) => r.rule === 'conservation');
    expect(conservation).toMatchObject({ rowsChecked: expected.n, rowsFailed: 1, outcome: 'failed', sampleKeys: [seen.lost] });
  });

  it('a stream that fails midway fails the step, and its transaction rolls back with nothing left behind', async () => {
    const failing = async (r: pg.ClientBase): Promise<void> => {
      await applyStepSettings(r, DEFAULTS.stepWorkMem, 'gold');
      await r.query(`select set_config('statement_timeout', '1', true)`); // the COPY is cancelled
    };
    await expect(reload({}, failing)).rejects.toThrow(/statement timeout|canceling/);
    // The pool lends working connections afterwards (the reader was closed, not pooled mid-COPY).
    await expectPoolUsable(t.rt.pool);
    expect(await factsDigest(t.rt.pool as unknown as pg.ClientBase)).toEqual(expected);
    expect(await factIndexes(t.rt.pool as unknown as pg.ClientBase)).toHaveLength(5);
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
      // The whole check with the switch inside: a broken customer key is still found.
      await c.query(`update gold.fact_sales set customer_key = -1 where ctid = (select min(ctid) from gold.fact_sales where customer_key is not null)`);
      const failed = await checkModel(c, 'gold', 'fact_sales', loadExpectations('gold').fact_sales!).catch((err: unknown) => err);
      return { step, duringLarge, afterLarge, duringSmall, failed, afterCheck: await settings(c) };
    });
    expect(seen.step).toEqual({ nestloop: 'on', rpc: '1.1' });
    expect(seen.duringLarge.nestloop).toBe('off');
    expect(seen.afterLarge).toEqual(seen.step);
    expect(seen.duringSmall).toEqual(seen.step);
    expect(seen.failed).toBeInstanceOf(ExpectationError);
    const rel = ((seen.failed as ExpectationError).results as { rule?: string }[]).find((r) => r.rule?.startsWith('relationships'));
    expect(rel).toMatchObject({ rowsChecked: expected.n, rowsFailed: 1, outcome: 'failed' });
    expect(seen.afterCheck).toEqual(seen.step);
  });
});
