-- 012_run_indexes_and_small_increments.sql
-- Purpose: make a small run (a daily increment on a big warehouse) cost in proportion to what it
-- changed, not to the size of the tables it touches.
-- 1. The rows a run changed are found by `_run_id` in every step after the one that wrote them
--    (gold reads silver's changes; the row counts and expectations of a run read its own). Without
--    an index each lookup scans the whole table: at seed scale 7.5 M order lines for 75 k changes.
--    A first load builds these indexes once after its insert (migration 011), so they cost the big
--    load nothing per row.
-- 2. meta.use_key_lookups: a step whose batch is small next to its target reaches the target's
--    rows through their primary key (nested loops) instead of hashing the whole table.

create index sales_run_idx on silver.sales (_run_id);
create index customers_run_idx on silver.customers (_run_id);
create index erp_customers_run_idx on silver.erp_customers (_run_id);
create index locations_run_idx on silver.locations (_run_id);
create index fact_sales_run_idx on gold.fact_sales (_run_id);
-- The daily and monthly aggregates of a small run recompute a few days: read through this index,
-- not by scanning every fact.
create index fact_sales_date_idx on gold.fact_sales (order_date_key);
-- A product's new customers (gold/product_sales.sql) and a customer's totals are found through
-- the customer's own lines.
create index fact_sales_customer_idx on gold.fact_sales (customer_id);

-- Turns nested loops on for the rest of the transaction when `batch_rows` is under 5 % of the
-- rows of `target` (they are off for steps by default: on a big batch a nested loop chosen on a
-- bad estimate costs minutes), and prices a random page read as what it is for a hot index
-- (random_page_cost 1.1, not 4: at 4 the planner hashed 7.5 M facts rather than probe the
-- primary key 75 k times — 3.4 s against 0.13 s). Returns whether it did. Callers analyse their
-- batch first.
create function meta.use_key_lookups(batch_rows bigint, target regclass) returns boolean language plpgsql volatile as $$
declare
  small boolean := batch_rows * 20 < greatest((select reltuples from pg_class where oid = target), 0);
begin
  perform set_config('enable_nestloop', case when small then 'on' else 'off' end, true);
  -- A later call on a big batch in the same transaction puts the server's price back.
  perform set_config('random_page_cost',
                     case when small then '1.1' else (select reset_val from pg_settings where name = 'random_page_cost') end, true);
  return small;
end $$;
