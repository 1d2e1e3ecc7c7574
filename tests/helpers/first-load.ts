import path from 'node:path';
import { expect } from 'vitest';
import { generate } from '../../src/generate/generator';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import type { TestEnv } from './test-env';

/**
 * A first load into the test's database: the generator's files for `customers` (seeded), changed
 * by `edit` (given their folder) when the test needs dirt of its own, run by one in-process worker.
 * Fails the test unless the run succeeded; returns its id.
 */
export async function firstLoad(
  t: TestEnv,
  opts: { customers: number; seed: number; asOf: string },
  edit?: (input: string) => void,
): Promise<number> {
  const input = path.join(t.tmp, 'in');
  generate({ out: input, customers: opts.customers, seed: opts.seed, asOf: opts.asOf });
  edit?.(input);
  const summary = await runPipeline(t.rt, { inputDir: input, asOf: opts.asOf, workers: 1 });
  expect(summary.status, summary.message ?? '').toBe('succeeded');
  return summary.runId;
}

/**
 * Gold's facts as before a first load's facts step, for the gold step to build them whole again:
 * the fact table, the date dimension and the aggregates emptied, the facts step's record of
 * `runId` gone (so that the step does not skip them as built). The dimensions stay.
 */
export async function forgetFacts(t: TestEnv, runId: number): Promise<void> {
  await t.rt.pool.query('truncate gold.fact_sales, gold.dim_date, gold.agg_daily_sales, gold.agg_monthly_sales, gold.customer_sales, gold.product_sales');
  await t.rt.pool.query(`delete from meta.steps where run_id = $1 and layer = 'gold' and step = 'facts'`, [runId]);
}
