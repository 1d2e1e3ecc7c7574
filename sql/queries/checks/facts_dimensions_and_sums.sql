-- checks/facts_dimensions_and_sums.sql
-- Purpose: two invariants of the fact table from one scan of it (each scan of the 7.5 M facts
-- costs about 1.2 core-s at seed scale; apart, the two checks took 2.4 core-s, together 1.3).
--   facts_have_dimensions: no fact row lacks its customer or product when the dimension has a
--   match; facts whose source had no match are counted, not failed. Every order date is in
--   dim_date.
--   sales_sums_agree: the sales of fact rows with an order date add up to the daily aggregate and
--   to the monthly aggregate; line counts agree too.
-- Each part reads as little as it can: the counts and sums in one parallel scan, products
-- matched against a hashed list of the few product numbers; the facts without a customer through
-- their partial index (fact_sales_no_customer_idx); the order dates as the distinct keys of
-- fact_sales_date_idx (a skip scan: one index probe per date, a few thousand in all), each looked
-- up in dim_date; the aggregates whole (a few thousand rows).
-- Inputs: none. Output: two rows (name, passed, detail), one per invariant.
with recursive facts as (
  select count(*) as facts,
         count(*) filter (where product_key is null) as no_product,
         count(*) filter (where product_key is null
                            and product_number in (select product_number from gold.dim_products)) as no_product_but_exists,
         coalesce(sum(sales_amount) filter (where order_date is not null), 0) as dated_sales,
         count(*) filter (where order_date is not null) as dated_lines
    from gold.fact_sales
), no_customer as (
  select count(*) as no_customer,
         count(*) filter (where exists (select 1 from gold.dim_customers d where d.customer_id = fs.customer_id)) as but_exists
    from gold.fact_sales fs
   where fs.customer_key is null
), date_keys(k) as (
  (select order_date_key from gold.fact_sales where order_date_key is not null order by order_date_key limit 1)
  union all
  select (select f.order_date_key from gold.fact_sales f where f.order_date_key > d.k order by f.order_date_key limit 1)
    from date_keys d
   where d.k is not null
), no_date as (
  select coalesce(sum((select count(*) from gold.fact_sales f where f.order_date_key = dk.k)), 0) as n
    from date_keys dk
   where dk.k is not null and not exists (select 1 from gold.dim_date d where d.date_key = dk.k)
), sums as (
  select f.dated_sales as facts, f.dated_lines as fact_lines,
         (select coalesce(sum(sales_amount), 0) from gold.agg_daily_sales) as daily,
         (select coalesce(sum(sales_amount), 0) from gold.agg_monthly_sales) as monthly,
         (select coalesce(sum(order_lines), 0) from gold.agg_daily_sales) as daily_lines,
         (select coalesce(sum(order_lines), 0) from gold.agg_monthly_sales) as monthly_lines
    from facts f
)
select 'facts_have_dimensions' as name,
       nc.but_exists = 0 and f.no_product_but_exists = 0 and nd.n = 0 as passed,
       jsonb_build_object('facts', f.facts, 'unmatchedCustomer', nc.no_customer, 'unmatchedProduct', f.no_product,
                          'missingCustomerKey', nc.but_exists, 'missingProductKey', f.no_product_but_exists,
                          'orderDateNotInDimDate', nd.n) as detail
  from facts f, no_customer nc, no_date nd
union all
select 'sales_sums_agree',
       facts = daily and facts = monthly and fact_lines = daily_lines and fact_lines = monthly_lines,
       jsonb_build_object('factSales', facts, 'dailySales', daily, 'monthlySales', monthly,
                          'factLines', fact_lines, 'dailyLines', daily_lines, 'monthlyLines', monthly_lines)
  from sums
