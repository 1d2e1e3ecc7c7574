-- gold/customer_sales.sql
-- Purpose: per-customer sales totals behind the customer_lifetime_value view, recomputed for the
-- customers whose order lines changed.
-- Inputs: gold.fact_sales, meta.gold_pending_customers and _rebuilds (from aggregate_keys.sql).
-- Outputs: gold.customer_sales; the pending customers it recomputed are deleted (same transaction).
-- Grain: one row per known customer with at least one dated order line. Key: customer_id.

-- A small batch reads its facts through indexes (migration 014: every pending batch small).
select meta.use_pending_batch_lookups();
-- And by index lookups only: misjudging how many lines the touched customers have, the planner
-- preferred a merge join along the whole customer index (seed scale, next day, 75 k customers:
-- this insert 3.9 s as a merge join, 2.3 s as index lookups), and without it a hash join over
-- every fact (ANALYZE's sample sees 236 k distinct customer ids among the 7.5 M facts where there
-- are 1 M, so it expects four times the lines: 10 k customers' 75 k lines read in 1.5 s by
-- hashing, 0.7–1.0 s by lookups).
select set_config('enable_mergejoin',
                  case when current_setting('enable_nestloop') = 'on' then 'off'
                       else (select reset_val from pg_settings where name = 'enable_mergejoin') end, true),
       set_config('enable_hashjoin',
                  case when current_setting('enable_nestloop') = 'on' then 'off'
                       else (select reset_val from pg_settings where name = 'enable_hashjoin') end, true);

-- A rebuild pending (a first load) recomputes every customer straight from the facts, without a
-- list of a million ids to join (seed scale: the list 2.8 s, the insert 8.6 s → 6.5 s, reading the
-- facts in customer order through fact_sales_customer_idx). Otherwise the pending customers.
create temp table customer_sales_rebuild on commit drop as
select exists (select 1 from meta.gold_pending_rebuilds where model = 'customer_sales') as rebuild;

-- In key order: the deletes below then meet the customers' index and heap pages in order, not
-- at random (seed scale, a 1 % day's 75 k customers: the totals' delete 0.45-0.55 s -> 0.15-0.25 s,
-- the pending ones' 0.24 -> 0.11 s).
create temp table touched_customer_ids on commit drop as
select distinct customer_id from meta.gold_pending_customers order by customer_id;
analyze touched_customer_ids;

-- A small batch's new totals, with a parallel plan: a CREATE TABLE AS may run in parallel where
-- an INSERT … SELECT may not, and only a regular table (the pending customers, not the temp list,
-- whose rows are the same: the gold lock keeps writers out) can be split among workers. Seed
-- scale, next day, 75 k customers: 2.1–3.7 s in one process, 1.5 s in three (the totals 1.2 s,
-- their insert 0.3 s). The workers read the pending ids, in key order; the leader looks their
-- facts up and counts them (distinct counts do not run in workers; with the lookups in the
-- workers too, the gathering cost more than it spread: bench/HISTORY.md, 2026-12-05).
analyze meta.gold_pending_customers;  -- just written by the facts transaction: its size, for the plan
select set_config('min_parallel_table_scan_size', '0', true), set_config('parallel_setup_cost', '0', true);
create temp table touched_customer_totals on commit drop as
select f.customer_id, count(distinct f.order_number collate "C") as total_orders, sum(f.sales_amount) as total_sales,
       sum(f.quantity) as total_quantity, count(distinct f.product_number collate "C") as total_products,
       min(f.order_date) as first_order_date, max(f.order_date) as last_order_date
  from gold.fact_sales f
  join (select distinct customer_id from meta.gold_pending_customers) t on t.customer_id = f.customer_id
 where not (select rebuild from customer_sales_rebuild)
   and f.order_date is not null and f.customer_key is not null
 group by f.customer_id;
select set_config('min_parallel_table_scan_size', (select reset_val from pg_settings where name = 'min_parallel_table_scan_size'), true),
       set_config('parallel_setup_cost', (select reset_val from pg_settings where name = 'parallel_setup_cost'), true);

delete from meta.gold_pending_customers p using touched_customer_ids t where p.customer_id = t.customer_id;
delete from meta.gold_pending_rebuilds where model = 'customer_sales';

-- Each statement below runs only on its path: the condition on customer_sales_rebuild is
-- evaluated once, before any row is read.
delete from gold.customer_sales where (select rebuild from customer_sales_rebuild);

-- Text keys grouped and counted distinct under "C": why in gold/agg_daily_sales.sql.
insert into gold.customer_sales (customer_id, total_orders, total_sales, total_quantity, total_products,
                                 first_order_date, last_order_date)
select f.customer_id, count(distinct f.order_number collate "C"), sum(f.sales_amount), sum(f.quantity),
       count(distinct f.product_number collate "C"), min(f.order_date), max(f.order_date)
  from gold.fact_sales f
 where (select rebuild from customer_sales_rebuild)
   and f.customer_id is not null and f.order_date is not null and f.customer_key is not null
 group by f.customer_id;

delete from gold.customer_sales c using touched_customer_ids t
 where c.customer_id = t.customer_id and not (select rebuild from customer_sales_rebuild);

insert into gold.customer_sales (customer_id, total_orders, total_sales, total_quantity, total_products,
                                 first_order_date, last_order_date)
select customer_id, total_orders, total_sales, total_quantity, total_products, first_order_date, last_order_date
  from touched_customer_totals;
