import { failRun } from '../../src/pipeline/finish-run';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/rules');

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('failures', { METALAYER_BACKOFF_MS: '200' });
  const day1 = await runPipeline(t.rt, { inputDir: path.join(FIXTURES, 'day1'), asOf: '2024-06-30', workers: 2 });
  expect(day1.status).toBe('succeeded');
});
afterAll(async () => t?.cleanup());

/** Everything in gold, as one comparable value. */
async function goldSnapshot(): Promise<unknown> {
  const tables = ['dim_customers', 'dim_products', 'dim_date', 'fact_sales', 'agg_daily_sales', 'agg_monthly_sales', 'customer_sales', 'product_sales', 'warehouse_state'];
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    out[table] = (await t.rt.pool.query(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h, count(*)::int as n from gold.${table} x`)).rows[0];
  }
  return out;
}

describe('a failing SQL step', () => {
  it('fails the run at once with a clear message and leaves gold as it was', async () => {
    const before = await goldSnapshot();
    // A rule the day-2 data breaks: the gold transaction fails at its sixth model.
    await t.rt.pool.query('alter table gold.agg_monthly_sales add constraint test_small_months check (sales_amount < 100) not valid');
    try {
      const day2 = await runPipeline(t.rt, { inputDir: path.join(FIXTURES, 'day2'), asOf: '2024-07-01', workers: 2 });
      expect(day2.status).toBe('failed');
      expect(day2.message).toMatch(/gold model agg_monthly_sales \(sql\/gold\/agg_monthly_sales\.sql\) failed: .*test_small_months.*\[SQLSTATE 23514\]/);
      expect(await goldSnapshot()).toEqual(before);
      const step = (await t.rt.pool.query(`select status, attempts, error from meta.steps where run_id = $1 and layer = 'gold'`, [day2.runId])).rows[0];
      expect(step).toMatchObject({ status: 'failed', attempts: 1 }); // a permanent error burns no retries
      // Silver did its part; it is idempotent, so a retry after the fix redoes nothing twice.
      expect((await t.rt.pool.query(`select count(*)::int as n from meta.steps where run_id = $1 and layer = 'silver' and status = 'succeeded'`, [day2.runId])).rows[0].n).toBe(6);
    } finally {
      await t.rt.pool.query('alter table gold.agg_monthly_sales drop constraint test_small_months');
    }
  });
});

describe('a transient failure', () => {
  it('is retried with backoff and the run completes', async () => {
    const dir = path.join(FIXTURES, 'day3');
    // Hold a lock the customers step needs, then kill the worker backend that waits for it.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table silver.customers in access exclusive mode');
    const killer = (async () => {
      for (let i = 0; i < 1200; i++) {
        const { rows } = await blocker.query(
          `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        if (rows.length > 0) {
          await new pg.Client({ connectionString: t.databaseUrl }).connect().then(async (c) => {
            await c.query('select pg_terminate_backend($1)', [rows[0].pid]);
            await c.end();
          });
          await blocker.query('rollback');
          return true;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.query('rollback');
      return false;
    })();
    const run = await runPipeline(t.rt, { inputDir: dir, asOf: '2024-07-02', workers: 2 });
    expect(await killer).toBe(true);
    await blocker.end();
    expect(run.status, run.message ?? '').toBe('succeeded');
    const step = (await t.rt.pool.query(`select status, attempts from meta.steps where run_id = $1 and step = 'customers'`, [run.runId])).rows[0];
    expect(step).toEqual({ status: 'succeeded', attempts: 2 });
  });
});

describe('the failure message of a run', () => {
  it('keeps the root cause, whether it arrives before or after the propagated "child failed"', async () => {
    const newRun = async (): Promise<number> =>
      (await t.rt.pool.query(`insert into meta.runs (status, as_of, input_dir) values ('running', '2024-07-02', '/x') returning run_id`)).rows[0].run_id;
    const message = async (runId: number): Promise<string> => (await t.rt.pool.query('select message from meta.runs where run_id = $1', [runId])).rows[0].message;
    const cause = 'silver job run-1-k-silver-customers failed: silver.customers failed its expectations — conservation: 1 of 3 rows';
    const propagated = [`child {mlt-x}:silver:run-1-k-silver-customers failed`, `gold job run-1-k-gold failed: child {mlt-x}:silver:run-1-k-silver-customers failed`];
    for (const p of propagated) {
      const a = await newRun();
      await failRun(t.rt.pool, a, p);
      await failRun(t.rt.pool, a, cause);
      expect(await message(a)).toBe(cause);
      const b = await newRun();
      await failRun(t.rt.pool, b, cause);
      await failRun(t.rt.pool, b, p);
      expect(await message(b)).toBe(cause);
    }
    // Two root causes: the first stays.
    const c = await newRun();
    await failRun(t.rt.pool, c, 'bronze job 1 failed: ENOENT');
    await failRun(t.rt.pool, c, 'bronze job 2 failed: EACCES');
    expect(await message(c)).toBe('bronze job 1 failed: ENOENT');
  });
});
