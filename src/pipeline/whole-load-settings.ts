import type pg from 'pg';
import { setLocalSettings, setLocalSettingsUntilRestored } from '../db/settings';

/**
 * Planner settings for a whole load: an empty table built by one CREATE TABLE AS (the order lines,
 * sql/silver/sales_first_load.sql; the facts, sql/gold/fact_sales_stage.sql), which writes
 * every row in the step's own process while its parallel workers read, parse and join.
 *
 * - `parallel_leader_participation` off: the writing process is the statement's bottleneck, and
 *   when it also takes its share of the read it writes less often. Seed scale, each statement
 *   alone on a copy of the bench warehouse, in turn: the order lines 14.2–17.2 s (median 15.0)
 *   against 14.5–17.8 s (16.5) with the leader reading too, the facts 10.5–13.1 s (10.8) against
 *   10.9–13.0 s (11.4), the same core-seconds (bench/HISTORY.md, 2026-12-06). With no worker
 *   to be had the leader still reads: PostgreSQL falls back to it.
 * - with `readWorkers` (the order lines, whose step is a silver one without gold's settings):
 *   that many parallel workers, and rows handed to the writing process priced as in gold
 *   (applyStepSettings), since at the default a read that returns every row never goes parallel.
 *
 * Transaction-local; returns a function that puts the previous values back, so that the rest of
 * the step keeps the settings it had (gold's parallel_tuple_cost among them).
 */
export async function applyWholeLoadSettings(client: pg.ClientBase, opts: { readWorkers?: number } = {}): Promise<() => Promise<void>> {
  const settings: Record<string, string> = { parallel_leader_participation: 'off' };
  if (opts.readWorkers !== undefined) Object.assign(settings, { max_parallel_workers_per_gather: String(opts.readWorkers), parallel_tuple_cost: '0.01' });
  return setLocalSettingsUntilRestored(client, settings);
}

/**
 * Planner settings for the four aggregates of a whole load (the facts step built the fact table
 * whole: a first load, a backfill), each rebuilt over every fact, side by side in transactions of
 * their own (src/pipeline/steps.ts): no parallel workers. Four whole-table aggregations already
 * fill the cores; each one's workers only add the cost of handing its rows to its leader in
 * order (Gather Merge). The four first-load aggregations side by side on a copy of the seed
 * warehouse, four pairs in turn: 14.3 s and 27.9 core-s without workers against 15.9 s and 31.2
 * with two each (bench/HISTORY.md, 2026-12-06). A small day's aggregates keep their plans: they
 * read few facts, and the customer totals ask for workers themselves. Transaction-local.
 */
export async function applyWholeAggregateSettings(client: pg.ClientBase): Promise<void> {
  await setLocalSettings(client, { max_parallel_workers_per_gather: '0' });
}
