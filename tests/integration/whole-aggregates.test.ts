import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { runGoldStep } from '../../src/pipeline/steps';
import { whenSentOnPool } from '../helpers/settings-spy';
import { firstLoad, forgetFacts } from '../helpers/first-load';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The aggregates of a fact table built whole run side by side without parallel workers
// (src/pipeline/whole-load-settings.ts, applyWholeAggregateSettings); otherwise with the
// server's. Watched on every connection the gold step takes from the pool: the setting each
// aggregate's script is sent with.
let t: TestEnv;
let runId: number;
const AS_OF = '2025-06-30';
const AGGREGATE_SCRIPT = /insert into gold\.(agg_daily_sales|agg_monthly_sales|customer_sales|product_sales) /;

/** Runs the run's gold step again, recording max_parallel_workers_per_gather per aggregate script sent. */
async function goldStepWatched(): Promise<{ aggregate: string; workers: string }[]> {
  // Each aggregate's script, as it is sent: its model (from the text) and the setting it runs with.
  const spy = whenSentOnPool(t.rt.pool, AGGREGATE_SCRIPT, async (c, match) => {
    const { rows } = await c.query(`select current_setting('max_parallel_workers_per_gather') as w`);
    return { aggregate: match[1]!, workers: rows[0].w as string };
  });
  try {
    await runGoldStep(t.rt.pool, DEFAULTS.stepWorkMem, runId);
  } finally {
    spy.stop();
  }
  return [...spy.seen].sort((a, b) => a.aggregate.localeCompare(b.aggregate));
}

const aggregatesDigest = async (): Promise<string> =>
  (
    await t.rt.pool.query(
      `select md5(concat_ws('|', (select string_agg(a::text, ',' order by date_key) from gold.agg_daily_sales a),
                                 (select string_agg(a::text, ',' order by year_month) from gold.agg_monthly_sales a),
                                 (select string_agg(a::text, ',' order by customer_id) from gold.customer_sales a),
                                 (select string_agg(a::text, ',' order by product_number) from gold.product_sales a))) as d`,
    )
  ).rows[0].d;

beforeAll(async () => {
  t = await createTestEnv('whole_aggregates');
  runId = await firstLoad(t, { customers: 400, seed: 11, asOf: AS_OF });
}, 120_000);
afterAll(async () => t?.cleanup());

describe('the aggregates of a fact table built whole', () => {
  it('run without parallel workers, and give the same totals', async () => {
    const before = await aggregatesDigest();
    // The facts built again whole.
    await forgetFacts(t, runId);
    const seen = await goldStepWatched();
    expect(seen.map((s) => s.aggregate)).toEqual(['agg_daily_sales', 'agg_monthly_sales', 'customer_sales', 'product_sales']);
    expect(seen.every((s) => s.workers === '0')).toBe(true);
    expect(await aggregatesDigest()).toBe(before);
  });

  it('keep the server\'s parallel workers when the facts were not built whole', async () => {
    const server = (await t.rt.pool.query(`select current_setting('max_parallel_workers_per_gather') as w`)).rows[0].w;
    expect(server).not.toBe('0');
    // The same run's gold again: its facts are built already, the aggregates only rerun.
    const seen = await goldStepWatched();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.workers === server)).toBe(true);
  });
});
