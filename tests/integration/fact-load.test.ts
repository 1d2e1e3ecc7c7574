import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { setRunContext } from '../../src/db/run-context';
import { generate } from '../../src/generate/generator';
import { loadFacts } from '../../src/pipeline/fact-load';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { applyStepSettings } from '../../src/pipeline/steps';
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
