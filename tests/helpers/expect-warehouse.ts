import { expect } from 'vitest';
import type { Manifest } from '../../src/generate/generator';
import type { TestEnv } from './test-env';

const one = async (t: TestEnv, sql: string): Promise<Record<string, number>> => (await t.rt.pool.query(sql)).rows[0];

/**
 * The warehouse holds exactly one clean load of a generated dataset: every row of every file in
 * bronze once (no line twice), every chunk loaded, silver and gold as the manifest predicts, one
 * current SCD2 version per customer and no overlapping ranges.
 */
export async function expectExactWarehouse(t: TestEnv, m: Manifest): Promise<void> {
  const bronze = (
    await t.rt.pool.query(`
      select f.source, count(b.*)::int as n from meta.files f
        left join lateral (
          select 1 from bronze.crm_cust_info where _file_id = f.file_id and f.source = 'crm_cust_info'
          union all select 1 from bronze.crm_prd_info where _file_id = f.file_id and f.source = 'crm_prd_info'
          union all select 1 from bronze.crm_sales_details where _file_id = f.file_id and f.source = 'crm_sales_details'
          union all select 1 from bronze.erp_cust_az12 where _file_id = f.file_id and f.source = 'erp_cust_az12'
          union all select 1 from bronze.erp_loc_a101 where _file_id = f.file_id and f.source = 'erp_loc_a101'
          union all select 1 from bronze.erp_px_cat_g1v2 where _file_id = f.file_id and f.source = 'erp_px_cat_g1v2'
        ) b on true
       group by f.source`)
  ).rows;
  expect(Object.fromEntries(bronze.map((r) => [r.source, r.n]))).toEqual(m.expected.bronzeRows);
  for (const table of ['crm_cust_info', 'crm_prd_info', 'crm_sales_details', 'erp_cust_az12', 'erp_loc_a101', 'erp_px_cat_g1v2']) {
    const dup = await one(t, `select count(*)::int as n from (select _file_id, _line from bronze.${table} group by 1, 2 having count(*) > 1) d`);
    expect(dup.n, `lines loaded twice into bronze.${table}`).toBe(0);
  }
  expect(await one(t, `select count(*) filter (where status <> 'loaded')::int as pending from meta.chunks`)).toEqual({ pending: 0 });
  const s = m.expected.silver;
  expect(await one(t, 'select count(*)::int as n from silver.customers')).toEqual({ n: s.customers });
  expect(await one(t, 'select count(*)::int as n from silver.sales')).toEqual({ n: s.sales });
  expect(await one(t, 'select count(*)::int as n from silver.products')).toEqual({ n: s.products });
  const g = m.expected.gold;
  expect(await one(t, 'select count(*)::int as n from gold.dim_customers where is_current')).toEqual({ n: g.dimCustomers });
  expect(await one(t, 'select count(*)::int as facts, sum(sales_amount)::bigint as sales from gold.fact_sales')).toEqual({ facts: g.facts, sales: g.totalSales });
  expect(await one(t, `select count(*)::int as n from (select customer_id from gold.dim_customers where is_current group by 1 having count(*) > 1) d`)).toEqual({ n: 0 });
  expect(
    await one(
      t,
      `select count(*)::int as n from gold.dim_customers a join gold.dim_customers b
         on a.customer_id = b.customer_id and a.customer_key < b.customer_key
        and daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')`,
    ),
  ).toEqual({ n: 0 });
}

/**
 * gold.product_sales equals a recomputation from every fact: what the incremental path (totals
 * grown by a run's new lines) must keep true. Returns how many products were compared.
 */
export async function expectProductSalesFromFacts(t: TestEnv): Promise<number> {
  const q = async (sql: string) => (await t.rt.pool.query(sql)).rows;
  const stored = await q(`select product_number, orders::int, customers::int, quantity::int, sales::int, first_sale_date::text, last_sale_date::text,
                                 avg_selling_price::text from gold.product_sales order by 1`);
  const recomputed = await q(`select product_number, count(*)::int as orders, count(distinct customer_id)::int as customers, sum(quantity)::int as quantity,
                                     sum(sales_amount)::int as sales, min(order_date)::text as first_sale_date, max(order_date)::text as last_sale_date,
                                     round(sum(sales_amount)::numeric / nullif(sum(quantity), 0), 2)::text as avg_selling_price
                                from gold.fact_sales where order_date is not null group by 1 order by 1`);
  expect(stored).toEqual(recomputed);
  return stored.length;
}

/**
 * Every gold aggregate equals a recomputation from the facts, and no key is left pending
 * (migration 014): what a run, a retry or a later run must leave behind.
 */
export async function expectAggregatesFromFacts(t: TestEnv): Promise<void> {
  const q = async (sql: string) => (await t.rt.pool.query(sql)).rows;
  expect(
    await q(`select (select count(*) from meta.gold_pending_days)::int as days, (select count(*) from meta.gold_pending_months)::int as months,
                    (select count(*) from meta.gold_pending_customers)::int as customers, (select count(*) from meta.gold_pending_products)::int as products,
                    (select count(*) from meta.gold_pending_rebuilds)::int as rebuilds, (select count(*) from meta.gold_pending_batches)::int as batches`),
  ).toEqual([{ days: 0, months: 0, customers: 0, products: 0, rebuilds: 0, batches: 0 }]);
  expect(await q(`select date_key, orders::int, order_lines::int, customers::int, sales_amount::int from gold.agg_daily_sales order by 1`)).toEqual(
    await q(`select order_date_key as date_key, count(distinct order_number)::int as orders, count(*)::int as order_lines,
                    count(distinct customer_id)::int as customers, sum(sales_amount)::int as sales_amount
               from gold.fact_sales where order_date is not null group by 1 order by 1`),
  );
  expect(await q(`select year_month, orders::int, order_lines::int, customers::int, sales_amount::int from gold.agg_monthly_sales order by 1`)).toEqual(
    await q(`select order_date_key / 100 as year_month, count(distinct order_number)::int as orders, count(*)::int as order_lines,
                    count(distinct customer_id)::int as customers, sum(sales_amount)::int as sales_amount
               from gold.fact_sales where order_date is not null group by 1 order by 1`),
  );
  expect(await q(`select customer_id::int, total_orders::int, total_sales::int, total_products::int from gold.customer_sales order by 1`)).toEqual(
    await q(`select customer_id::int, count(distinct order_number)::int as total_orders, sum(sales_amount)::int as total_sales,
                    count(distinct product_number)::int as total_products
               from gold.fact_sales where order_date is not null and customer_key is not null group by 1 order by 1`),
  );
  await expectProductSalesFromFacts(t);
}
