-- gold/product_sales.sql
-- Purpose: per-product sales totals behind the product_performance view, brought up to date for
-- the products whose order lines changed.
-- Inputs: gold.fact_sales, meta.gold_pending_products and _rebuilds (from aggregate_keys.sql).
-- Outputs: gold.product_sales; the pending products and rebuild it handled are deleted (same
-- transaction).
-- Grain: one row per product number with at least one dated order line. Key: product_number.
-- A product whose touched lines are all new facts of one run (the daily case: new orders) has its
-- totals grown by that run's lines; a product with a changed or re-attached line, or keys left by
-- more than one run, is recomputed from every fact. Both give the same figures
-- (tests/integration/rules.test.ts compares them); the additive path reads the run's lines, not
-- all 7.5 M facts of the products they touch (seed scale: 9-10 s).
-- orders is count(*): (order_number, product_number) is the fact key, so a product's lines are
-- of distinct orders. avg_selling_price: sales ÷ quantity.

-- A small batch reads its facts through indexes (migration 014: every pending batch small).
select meta.use_pending_batch_lookups();

-- A rebuild pending (a first load, which lists no products: aggregate_keys.sql) recomputes every
-- product from the facts, and the pending products with it. Otherwise the pending products.
create temp table product_sales_rebuild on commit drop as
select exists (select 1 from meta.gold_pending_rebuilds where model = 'product_sales') as rebuild;

-- only_new: grown by this run's lines (aggregate_keys.sql decides; this run's key alone).
create temp table touched_products on commit drop as
select product_number, bool_and(only_new) and count(*) = 1 and min(run_id) = meta.ctx_run_id() as only_new
  from meta.gold_pending_products group by product_number;
analyze touched_products;
-- A small batch plans without hash joins (index lookups, migration 014): without an index here,
-- joining this run's lines to the touched products compared every line with every product
-- (seed scale, a 1 % day: 75 k lines × 200 products, 1.3 s of the 1.5 s growth statement).
create unique index on touched_products (product_number);
delete from meta.gold_pending_products p using touched_products t where p.product_number = t.product_number;
delete from meta.gold_pending_rebuilds where model = 'product_sales';

-- Each statement below runs only on its path: the condition on product_sales_rebuild is
-- evaluated once, before any row is read. A rebuild: every product from every fact. (The two
-- recomputations stay two statements, not one whose filter ORs the rebuild with the touched
-- products: a join with no product to recompute, a small day's usual case, ends before reading
-- the facts, where such a filter would read all 7.5 M of them at seed scale.)
delete from gold.product_sales where (select rebuild from product_sales_rebuild);

-- Text keys grouped and counted distinct under "C": why in gold/agg_daily_sales.sql.
insert into gold.product_sales (product_number, orders, customers, quantity, sales, first_sale_date, last_sale_date,
                                avg_selling_price)
select f.product_number collate "C", count(*), count(distinct f.customer_id), sum(f.quantity),
       sum(f.sales_amount), min(f.order_date), max(f.order_date),
       round(sum(f.sales_amount)::numeric / nullif(sum(f.quantity), 0), 2)
  from gold.fact_sales f
 where (select rebuild from product_sales_rebuild) and f.order_date is not null
 group by f.product_number collate "C";

-- Otherwise the touched products: recomputed from every fact …
delete from gold.product_sales p using touched_products t
 where p.product_number = t.product_number and not t.only_new and not (select rebuild from product_sales_rebuild);

insert into gold.product_sales (product_number, orders, customers, quantity, sales, first_sale_date, last_sale_date,
                                avg_selling_price)
select f.product_number collate "C", count(*), count(distinct f.customer_id), sum(f.quantity),
       sum(f.sales_amount), min(f.order_date), max(f.order_date),
       round(sum(f.sales_amount)::numeric / nullif(sum(f.quantity), 0), 2)
  from gold.fact_sales f
  join touched_products t on t.product_number = f.product_number and not t.only_new
 where f.order_date is not null and not (select rebuild from product_sales_rebuild)
 group by f.product_number collate "C";

-- … or grown by the run's new lines. A customer counts as new to a product when no earlier dated
-- line of that product is theirs (fact_sales_customer_idx finds their lines).
create temp table product_growth on commit drop as
select n.product_number, count(*) as orders,
       count(distinct n.customer_id) filter (
         where not exists (select 1 from gold.fact_sales o
                            where o.customer_id = n.customer_id and o.product_number = n.product_number
                              and o.order_date is not null and o._run_id <> meta.ctx_run_id())) as new_customers,
       sum(n.quantity) as quantity, sum(n.sales_amount) as sales, min(n.order_date) as first_sale_date,
       max(n.order_date) as last_sale_date
  from gold.fact_sales n
  join touched_products t on t.product_number = n.product_number and t.only_new
 where n._run_id = meta.ctx_run_id() and n.order_date is not null  -- this run's lines: all new, for these products
   and not (select rebuild from product_sales_rebuild)
 group by n.product_number;

insert into gold.product_sales as p (product_number, orders, customers, quantity, sales, first_sale_date, last_sale_date,
                                     avg_selling_price)
select g.product_number, g.orders, g.new_customers, g.quantity, g.sales, g.first_sale_date, g.last_sale_date,
       round(g.sales::numeric / nullif(g.quantity, 0), 2)
  from product_growth g
on conflict (product_number) do update
   set orders = p.orders + excluded.orders,
       customers = p.customers + excluded.customers,
       -- sums of nullable columns: NULL only while every line's value is NULL, as sum() has it
       quantity = case when p.quantity is null and excluded.quantity is null then null
                       else coalesce(p.quantity, 0) + coalesce(excluded.quantity, 0) end,
       sales = case when p.sales is null and excluded.sales is null then null
                    else coalesce(p.sales, 0) + coalesce(excluded.sales, 0) end,
       first_sale_date = least(p.first_sale_date, excluded.first_sale_date),
       last_sale_date = greatest(p.last_sale_date, excluded.last_sale_date),
       avg_selling_price = round((coalesce(p.sales, 0) + coalesce(excluded.sales, 0))::numeric
                                 / nullif(coalesce(p.quantity, 0) + coalesce(excluded.quantity, 0), 0), 2);
