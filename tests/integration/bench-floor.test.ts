import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { prepareBaseline } from '../../bench/baseline';
import { floorStatements, isFactIndexBuild, isWholeAggregate, isWholeLoad, measureFloor, type Floor } from '../../bench/floor';
import { generate, type Manifest } from '../../src/generate/generator';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The benchmark's floor (bench/floor.ts, sql/bench/floor_first_load.sql) is a lower bound only if
// it does the spec's whole job: a statement that lost a rule would make it cheaper and the bound
// wrong. So its tables must hold what the generator's manifest predicts, as MetaLayer's must
// (generated.test.ts), on the files the bench loads (here a small dataset, through the bench's
// own baseline loader).
let t: TestEnv;
let m: Manifest;
let floor: Floor;
const AS_OF = '2025-06-30';
const one = async (sql: string): Promise<Record<string, number>> => (await t.rt.pool.query(sql)).rows[0];

beforeAll(async () => {
  t = await createTestEnv('benchfloor');
  const dir = path.join(t.tmp, 'data');
  m = generate({ out: dir, customers: 3000, seed: 7, asOf: AS_OF });
  const loads = await prepareBaseline(dir, 2, t.databaseUrl);
  try {
    await loads.load();
  } finally {
    await loads.close();
  }
  floor = await measureFloor(t.databaseUrl, AS_OF, { keep: true });
}, 120_000);
afterAll(async () => t?.cleanup());

describe('the benchmark floor: the spec\'s silver and gold work as bare statements', () => {
  it('times every statement of its file, each once', () => {
    expect(floor.statements.map((s) => s.label)).toEqual(floorStatements().map((s) => s.split('\n', 1)[0]!.slice(0, 80)));
    expect(floor.statements.every((s) => Number.isFinite(s.coreSeconds) && s.seconds > 0)).toBe(true);
  });

  it("writes its order lines, facts, fact indexes and aggregates with the settings of MetaLayer's first load, and nothing else", () => {
    expect(floorStatements().filter(isWholeLoad).map((s) => s.split('\n', 1)[0])).toEqual([
      'create table bench_floor.sales as',
      'create table bench_floor.fact_sales as',
    ]);
    expect(floorStatements().filter(isWholeAggregate).map((s) => s.split('\n', 1)[0])).toEqual([
      'create table bench_floor.agg_daily_sales as',
      'create table bench_floor.agg_monthly_sales as',
      'create table bench_floor.customer_sales as',
      'create table bench_floor.product_sales as',
    ]);
    expect(floorStatements().filter(isFactIndexBuild)).toEqual([
      'alter table bench_floor.fact_sales add primary key (order_number, product_number)',
      'create index on bench_floor.fact_sales (order_date_key)',
      'create index on bench_floor.fact_sales (customer_id)',
    ]);
  });

  it('builds the silver the manifest predicts', async () => {
    const s = m.expected.silver;
    expect(await one('select count(*)::int as n, (sum(quality_score) * 4)::int as checks, count(email)::int as e, count(phone)::int as p from bench_floor.customers')).toEqual({
      n: s.customers, checks: s.qualityChecksPassed, e: s.validEmails, p: s.validPhones,
    });
    expect(await one('select count(*)::int as n, count(*) filter (where order_date is null)::int as nodate from bench_floor.sales')).toEqual({ n: s.sales, nodate: s.salesNullOrderDate });
    expect(await one('select count(*)::int as n, count(*) filter (where birthdate is null)::int as nobirth from bench_floor.erp_customers')).toEqual({ n: s.erpCustomers, nobirth: s.erpNullBirthdate });
    const countries = (await t.rt.pool.query('select country, count(*)::int as n from bench_floor.locations group by country')).rows;
    expect(Object.fromEntries(countries.map((r) => [r.country, r.n]))).toEqual(s.locationCountries);
  });

  it('builds the gold the manifest predicts', async () => {
    const g = m.expected.gold;
    expect(await one('select count(*)::int as n from bench_floor.dim_customers')).toEqual({ n: g.dimCustomers });
    expect(await one(`select count(*) filter (where gender = 'Male')::int as "Male", count(*) filter (where gender = 'Female')::int as "Female",
                             count(*) filter (where gender = 'n/a')::int as "n/a" from bench_floor.dim_customers`)).toEqual(g.genders);
    expect(await one('select count(*)::int as n, count(*) filter (where is_current)::int as cur from bench_floor.dim_products')).toEqual({ n: g.dimProducts, cur: g.dimProductsCurrent });
    expect(await one(`select count(*)::int as facts, count(order_date)::int as dated, count(*) filter (where customer_key is null)::int as nocust,
                             sum(sales_amount)::bigint as sales, sum(quantity)::bigint as qty, count(product_key)::int as with_product
                        from bench_floor.fact_sales`)).toEqual({
      facts: g.facts, dated: g.factsWithOrderDate, nocust: g.factsWithoutCustomer, sales: g.totalSales, qty: g.totalQuantity, with_product: g.facts,
    });
    const months = (await t.rt.pool.query('select year_month, sales_amount from bench_floor.agg_monthly_sales')).rows;
    expect(Object.fromEntries(months.map((r) => [String(r.year_month), r.sales_amount]))).toEqual(g.monthlySales);
    expect(await one('select sum(sales_amount)::bigint as s from bench_floor.agg_daily_sales')).toEqual({ s: g.totalSalesWithOrderDate });
    expect(await one('select count(*)::int as n from bench_floor.customer_sales')).toEqual({ n: g.clvCustomers });
    expect(await one('select sum(orders)::int as n from bench_floor.product_sales')).toEqual({ n: g.factsWithOrderDate });
  });
});
