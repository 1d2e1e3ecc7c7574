import { failRun } from '../../src/pipeline/finish-run';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSql } from '../../src/db/sql-files';
import { setRunContext } from '../../src/db/run-context';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { expectAggregatesFromFacts } from '../helpers/expect-warehouse';
import { runCli } from '../helpers/processes';
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
  let failedRun = 0;
  let before: Record<string, unknown>;
  const step = async (runId: number, name: string) =>
    (await t.rt.pool.query(`select status, attempts from meta.steps where run_id = $1 and layer = 'gold' and step = $2`, [runId, name])).rows[0];

  it('fails the run at once with a clear message; the failing aggregate and the as-of date stay as they were', async () => {
    before = (await goldSnapshot()) as Record<string, unknown>;
    // A rule the day-2 data breaks, in one of the aggregates that run after the facts commit.
    await t.rt.pool.query('alter table gold.agg_monthly_sales add constraint test_small_months check (sales_amount < 100) not valid');
    const day2 = await runPipeline(t.rt, { inputDir: path.join(FIXTURES, 'day2'), asOf: '2024-07-01', workers: 2 });
    failedRun = day2.runId;
    expect(day2.status).toBe('failed');
    expect(day2.message).toMatch(/gold model agg_monthly_sales \(sql\/gold\/agg_monthly_sales\.sql\) failed: .*test_small_months.*\[SQLSTATE 23514\]/);
    const after = (await goldSnapshot()) as Record<string, unknown>;
    expect(after.agg_monthly_sales).toEqual(before.agg_monthly_sales);
    expect(after.warehouse_state).toEqual(before.warehouse_state); // the as-of date moves only when every aggregate is done
    expect(after.fact_sales).not.toEqual(before.fact_sales); // the facts' transaction had committed
    expect(await step(day2.runId, 'agg_monthly_sales')).toMatchObject({ status: 'failed', attempts: 1 }); // a permanent error burns no retries
    expect(await step(day2.runId, 'facts')).toMatchObject({ status: 'succeeded', attempts: 1 });
    // What the monthly aggregate owes is kept for the retry.
    expect((await t.rt.pool.query('select count(*)::int as n from meta.gold_pending_months')).rows[0].n).toBeGreaterThan(0);
    // Silver did its part; it is idempotent, so a retry after the fix redoes nothing twice.
    expect((await t.rt.pool.query(`select count(*)::int as n from meta.steps where run_id = $1 and layer = 'silver' and status = 'succeeded'`, [day2.runId])).rows[0].n).toBe(6);
  });

  it('after the fix, `metalayer retry` finishes the aggregates without building the facts again', async () => {
    expect(failedRun).toBeGreaterThan(0);
    await t.rt.pool.query('alter table gold.agg_monthly_sales drop constraint test_small_months');
    const r = await runCli(t.env, ['retry', '--run', String(failedRun), '--workers', '2', '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('succeeded');
    expect(await step(failedRun, 'facts')).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await step(failedRun, 'dimensions')).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await step(failedRun, 'agg_monthly_sales')).toMatchObject({ status: 'succeeded', attempts: 2 });
    await expectAggregatesFromFacts(t);
    expect((await t.rt.pool.query('select as_of::text from gold.warehouse_state')).rows[0].as_of).toBe('2024-07-01');
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
    // Watched from a connection of its own, outside the blocker's transaction: inside one,
    // pg_stat_activity lists only the backends of its first read (a snapshot kept to the
    // transaction's end), and a worker connecting after it was never seen (the test then waited
    // its 60 s and failed, now and then).
    const monitor = new pg.Client({ connectionString: t.databaseUrl });
    await monitor.connect();
    const killer = (async () => {
      for (let i = 0; i < 1200; i++) {
        const { rows } = await monitor.query(
          `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        if (rows.length > 0) {
          await monitor.query('select pg_terminate_backend($1)', [rows[0].pid]);
          await blocker.query('rollback');
          return true;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.query('rollback');
      return false;
    })();
    const run = await runPipeline(t.rt, { inputDir: dir, asOf: '2024-07-02', workers: 2 });
    const killed = await killer;
    await monitor.end();
    expect(killed).toBe(true);
    await blocker.end();
    expect(run.status, run.message ?? '').toBe('succeeded');
    const step = (await t.rt.pool.query(`select status, attempts from meta.steps where run_id = $1 and step = 'customers'`, [run.runId])).rows[0];
    expect(step).toEqual({ status: 'succeeded', attempts: 2 });
    await expectAggregatesFromFacts(t);
  });
});

describe('a run after one whose aggregates failed', () => {
  it('finishes what the failed run left pending, a product it only added lines to included', async () => {
    // Products refuse any change while the next run loads: its facts commit, its product totals do not.
    await t.rt.pool.query(`create function public.test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`);
    await t.rt.pool.query('create trigger test_refuse before insert or update on gold.product_sales for each row execute function public.test_refuse()');
    const dir = path.join(t.tmp, 'new-line');
    mkdirSync(dir, { recursive: true });
    // Only a new line: the product's totals would be grown by it (the additive path), not recomputed.
    writeFileSync(path.join(dir, 'sales_details_new.csv'), 'sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,sls_sales,sls_quantity,sls_price\nSO31,HL-U509,7,20240628,20240630,20240705,35,1,35\n');
    try {
      const failed = await runPipeline(t.rt, { inputDir: dir, asOf: '2024-07-03', workers: 2 });
      expect(failed.status).toBe('failed');
      expect((await t.rt.pool.query(`select count(*)::int as n from meta.gold_pending_products where only_new`)).rows[0].n).toBe(1);
    } finally {
      await t.rt.pool.query('drop trigger test_refuse on gold.product_sales');
      await t.rt.pool.query('drop function public.test_refuse()');
    }
    // The next run touches no order line (a new customer without orders); its gold recomputes
    // the product the failed run left.
    const customer = path.join(t.tmp, 'new-customer');
    mkdirSync(customer, { recursive: true });
    writeFileSync(path.join(customer, 'cust_info_new.csv'), 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date\n500,AW500,Ann,Lee,S,F,2024-01-15\n');
    const next = await runPipeline(t.rt, { inputDir: customer, asOf: '2024-07-04', workers: 2 });
    expect(next.status, next.message ?? '').toBe('succeeded');
    await expectAggregatesFromFacts(t);
    expect((await t.rt.pool.query(`select count(*)::int as n from gold.fact_sales where order_number = 'SO31'`)).rows[0].n).toBe(1);
  });
});

describe('a first load whose product totals fail', () => {
  it('leaves their rebuild pending, and the retry rebuilds every product from the facts', async () => {
    // A warehouse of its own: a first load lists no products (gold/aggregate_keys.sql) but marks
    // the product totals for a rebuild, which must outlive a failure of their transaction.
    const first = await createTestEnv('failures_first_load', { METALAYER_BACKOFF_MS: '200' });
    try {
      const q = async (sql: string) => (await first.rt.pool.query(sql)).rows;
      await q(`create function public.test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`);
      await q('create trigger test_refuse before insert or update on gold.product_sales for each row execute function public.test_refuse()');
      const run = await runPipeline(first.rt, { inputDir: path.join(FIXTURES, 'day1'), asOf: '2024-06-30', workers: 2 });
      expect(run.status).toBe('failed');
      expect(await q(`select model from meta.gold_pending_rebuilds`)).toEqual([{ model: 'product_sales' }]); // customer_sales' is done
      expect(await q(`select count(*)::int as n from meta.gold_pending_products`)).toEqual([{ n: 0 }]);
      expect(await q(`select count(*)::int as n from gold.product_sales`)).toEqual([{ n: 0 }]);
      await q('drop trigger test_refuse on gold.product_sales');
      const r = await runCli(first.env, ['retry', '--run', String(run.runId), '--workers', '2', '--json', '--timeout', '60']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).status).toBe('succeeded');
      await expectAggregatesFromFacts(first);
      expect((await q(`select count(*)::int as n from gold.product_sales`))[0].n).toBeGreaterThan(0);
    } finally {
      await first.cleanup();
    }
  });
});

describe("the aggregates' pending keys", () => {
  it('are merged when the facts step of a run runs again (a replay), never lost nor refused as repeated', async () => {
    const client = await t.rt.pool.connect();
    try {
      await client.query('begin');
      const runId = (await client.query(`select max(run_id)::int as id from meta.runs`)).rows[0].id;
      await setRunContext(client, { runId, asOf: '2024-07-04' });
      // What fact_changes.sql leaves for aggregate_keys.sql: two changed lines of customers 7 and 8, facts before.
      await client.query(`create temp table changed_days on commit drop as select date '2024-06-28' as order_date, 2::bigint as lines, null::date as other_min, null::date as other_max`);
      await client.query(`create temp table changed_products on commit drop as select 'HL-U509'::text as product_number`);
      await client.query(`create temp table changed_span on commit drop as select 2::bigint as lines, date '2024-06-28' as first_day, date '2024-06-28' as last_day, date '2024-06-28' as lo, date '2024-06-28' as hi`);
      await client.query(`create temp table changed_sales on commit drop as select * from (values ('SO90', 'HL-U509', 7::bigint, date '2024-06-28'), ('SO91', 'HL-U509', 8::bigint, date '2024-06-28')) v (order_number, product_number, customer_id, order_date)`);
      await client.query(`create temp table replaced_sales (like changed_sales) on commit drop`);
      await client.query(`create temp table gold_batch on commit drop as select true as small, true as facts_before`);
      const pending = async () => (await client.query(`select customer_id::int from meta.gold_pending_customers where run_id = $1 order by 1`, [runId])).rows;
      await client.query(loadSql('gold/aggregate_keys.sql'));
      expect(await pending()).toEqual([{ customer_id: 7 }, { customer_id: 8 }]);
      await client.query(`insert into changed_sales values ('SO92', 'HL-U509', 9, date '2024-06-28')`);
      await client.query(loadSql('gold/aggregate_keys.sql')); // again, one customer more
      expect(await pending()).toEqual([{ customer_id: 7 }, { customer_id: 8 }, { customer_id: 9 }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
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
