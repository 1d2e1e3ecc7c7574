import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Manifest } from '../../src/generate/generator';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import type { RunSummary } from '../../src/pipeline/summary';
import { expectAggregatesFromFacts } from '../helpers/expect-warehouse';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// A generated dataset through real workers, with small chunks so that every source is split:
// the silver and gold figures must equal what the generator's manifest predicts.
const CUSTOMERS = 3000;
let t: TestEnv;
let m: Manifest;
let summary: RunSummary;
let indexesBefore: string[];
const indexes = async (): Promise<string[]> =>
  (
    await t.rt.pool.query(
      `select i.indexdef || coalesce(' [' || c.contype::text || ']', '') as d
         from pg_indexes i
         left join pg_constraint c on c.conindid = to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))
        where i.schemaname in ('silver', 'gold') order by 1`,
    )
  ).rows.map((r) => r.d);
const one = async (sql: string): Promise<Record<string, number>> => (await t.rt.pool.query(sql)).rows[0];

beforeAll(async () => {
  t = await createTestEnv('generated', { METALAYER_CHUNK_BYTES: String(64 * 1024) });
  m = generate({ out: path.join(t.tmp, 'in'), customers: CUSTOMERS, seed: 11, asOf: '2025-06-30' });
  indexesBefore = await indexes();
  summary = await runPipeline(t.rt, { inputDir: path.join(t.tmp, 'in'), asOf: '2025-06-30', workers: 2 });
});
afterAll(async () => t?.cleanup());

describe(`a generated ${CUSTOMERS}-customer dataset`, () => {
  it('succeeds, splits files into several chunks, and loads every row into bronze', () => {
    expect(summary.status, summary.message ?? '').toBe('succeeded');
    expect(summary.checks.filter((c) => !c.passed)).toEqual([]);
    for (const f of summary.files) {
      expect(f.rowsRead, f.source).toBe(m.expected.bronzeRows[f.source]);
      expect(f.rowsLoaded, f.source).toBe(m.expected.bronzeRows[f.source]);
      expect(f.rowsRejected).toBe(0);
    }
    expect(summary.files.find((f) => f.source === 'crm_sales_details')!.chunks).toBeGreaterThan(5);
    expect(summary.layers.bronze.rows).toBe(Object.values(m.expected.bronzeRows).reduce((a, b) => a + b, 0));
  });

  it('loads the small sources first and the order lines last, and the first load leaves every index as it was', async () => {
    // Bronze loads the smallest sources first (src/queue/flow.ts, bronzePriorities): the customers'
    // chunks are all loaded before the order lines' last one, and the order lines' silver step
    // starts after the run's last chunk.
    const r = await one(
      `select extract(epoch from (select started_at from meta.steps where run_id = ${summary.runId} and layer = 'silver' and step = 'sales'))::float8 as sales_start,
              extract(epoch from (select max(loaded_at) from meta.chunks where loaded_by_run = ${summary.runId}))::float8 as bronze_end,
              (select max(c.loaded_at) from meta.chunks c join meta.files f using (file_id) where c.loaded_by_run = ${summary.runId} and f.source = 'crm_cust_info')
                < (select max(c.loaded_at) from meta.chunks c join meta.files f using (file_id) where c.loaded_by_run = ${summary.runId} and f.source = 'crm_sales_details') as customers_before_sales`,
    );
    expect(r.sales_start).toBeGreaterThanOrEqual(r.bronze_end!);
    expect(r.customers_before_sales).toBe(true);
    // The dimensions are a step of their own, started once their silver inputs were done (not
    // after the order lines), and gold did not build them again.
    const gold = await t.rt.pool.query(
      `select g.step, g.attempts, g.started_at >= (select max(finished_at) from meta.steps where run_id = $1 and layer = 'silver' and step <> 'sales') as after_inputs,
              g.started_at < (select started_at from meta.steps where run_id = $1 and layer = 'gold' and step = 'facts') as before_facts
         from meta.steps g where g.run_id = $1 and g.layer = 'gold' and g.step = 'dimensions'`,
      [summary.runId],
    );
    expect(gold.rows).toEqual([{ step: 'dimensions', attempts: 1, after_inputs: true, before_facts: true }]);
    // Referenced first: the products, which the order lines' relationship expectation reads,
    // finish before the order lines start.
    const started = await t.rt.pool.query(
      `select step, started_at >= (select finished_at from meta.steps where run_id = $1 and layer = 'silver' and step = 'products') as after_products
         from meta.steps where run_id = $1 and layer = 'silver' order by started_at`,
      [summary.runId],
    );
    // (Checked before the products were built, every order line failed it.)
    const rel = await one(
      `select rows_checked::int as checked, rows_failed::int as failed from meta.quality_results
        where run_id = ${summary.runId} and layer = 'silver' and model = 'sales' and rule = 'relationships_product_number'`,
    );
    expect(rel.checked).toBeGreaterThan(1000);
    expect(rel.failed).toBeLessThan(rel.checked! * 0.01);
    expect(started.rows.find((r) => r.step === 'sales')).toEqual({ step: 'sales', after_products: true });
    expect(started.rows.find((r) => r.step === 'products')).toEqual({ step: 'products', after_products: false });
    // The bulk path (migration 011) dropped the indexes of the empty tables and built them again.
    expect(await indexes()).toEqual(indexesBefore);
    expect(indexesBefore.filter((d) => d.includes('[p]')).length).toBeGreaterThan(10);
  });

  it('silver matches the manifest', async () => {
    const s = m.expected.silver;
    expect(await one('select count(*)::int as n, (sum(quality_score) * 4)::int as checks from silver.customers')).toEqual({ n: s.customers, checks: s.qualityChecksPassed });
    expect(await one(`select count(*) filter (where gender = 'Male')::int as "Male", count(*) filter (where gender = 'Female')::int as "Female",
                             count(*) filter (where gender = 'n/a')::int as "n/a" from silver.customers`)).toEqual(s.customerGender);
    expect(await one(`select count(*) filter (where marital_status = 'Single')::int as "Single", count(*) filter (where marital_status = 'Married')::int as "Married",
                             count(*) filter (where marital_status = 'n/a')::int as "n/a" from silver.customers`)).toEqual(s.customerMarital);
    expect(await one('select count(email)::int as e, count(phone)::int as p from silver.customers')).toEqual({ e: s.validEmails, p: s.validPhones });
    expect(await one(`select count(*)::int as n from quarantine.rejects where source = 'crm_cust_info'`)).toEqual({ n: s.customersQuarantined });
    expect(await one('select count(*)::int as n, count(*) filter (where cost = 0)::int as zero from silver.products')).toEqual({ n: s.products, zero: s.productsCostZero });
    expect(await one('select count(*)::int as n, count(*) filter (where order_date is null)::int as nodate from silver.sales')).toEqual({ n: s.sales, nodate: s.salesNullOrderDate });
    expect(await one('select count(*)::int as n, count(*) filter (where birthdate is null)::int as nobirth from silver.erp_customers')).toEqual({ n: s.erpCustomers, nobirth: s.erpNullBirthdate });
    const countries = (await t.rt.pool.query('select country, count(*)::int as n from silver.locations group by country')).rows;
    expect(Object.fromEntries(countries.map((r) => [r.country, r.n]))).toEqual(s.locationCountries);
    expect(await one('select count(*)::int as n from silver.categories')).toEqual({ n: s.categories });
  });

  it('gold matches the manifest', async () => {
    const g = m.expected.gold;
    expect(await one('select count(*)::int as n from gold.dim_customers where is_current')).toEqual({ n: g.dimCustomers });
    expect(await one('select count(*)::int as n, count(*) filter (where is_current)::int as cur from gold.dim_products')).toEqual({ n: g.dimProducts, cur: g.dimProductsCurrent });
    expect(await one(`select count(*) filter (where gender = 'Male')::int as "Male", count(*) filter (where gender = 'Female')::int as "Female",
                             count(*) filter (where gender = 'n/a')::int as "n/a" from gold.dim_customers`)).toEqual(g.genders);
    expect(await one(`select count(*)::int as facts, count(order_date)::int as dated, count(*) filter (where customer_key is null)::int as nocust,
                             sum(sales_amount)::bigint as sales, sum(quantity)::bigint as qty,
                             sum(sales_amount) filter (where order_date is not null)::bigint as dated_sales from gold.fact_sales`)).toEqual({
      facts: g.facts, dated: g.factsWithOrderDate, nocust: g.factsWithoutCustomer, sales: g.totalSales, qty: g.totalQuantity,
      dated_sales: g.totalSalesWithOrderDate,
    });
    // A first load: the aggregates are built from every fact (customer totals rebuilt from a
    // marker, not a key list) and leave nothing pending.
    await expectAggregatesFromFacts(t);
    const months = (await t.rt.pool.query('select year_month, sales_amount from gold.agg_monthly_sales')).rows;
    expect(Object.fromEntries(months.map((r) => [String(r.year_month), r.sales_amount]))).toEqual(g.monthlySales);
    expect(await one('select sum(sales_amount)::bigint as s from gold.agg_daily_sales')).toEqual({ s: g.totalSalesWithOrderDate });
    const segments = (await t.rt.pool.query('select segment, count(*)::int as n from gold.customer_lifetime_value group by segment')).rows;
    expect(Object.fromEntries(segments.map((r) => [r.segment, r.n]))).toEqual(g.segments);
    expect(await one('select count(*)::int as n from gold.customer_lifetime_value')).toEqual({ n: g.clvCustomers });
  });

  it('loads every fast-path chunk with COPY and records it in the ledger', async () => {
    expect(await one(`select count(*) filter (where status <> 'loaded')::int as pending, count(*) filter (where load_path = 'copy')::int as copy,
                             count(*)::int as chunks from meta.chunks`)).toMatchObject({ pending: 0 });
    const paths = await one(`select count(*) filter (where load_path = 'copy')::int as copy, count(*)::int as chunks from meta.chunks`);
    expect(paths.copy).toBe(paths.chunks); // clean generated chunks never need the row path
  });
});
