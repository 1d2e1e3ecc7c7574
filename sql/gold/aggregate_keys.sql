-- gold/aggregate_keys.sql
-- Purpose: what the aggregates must recompute after this run's facts commit: the days, months,
-- customers and products that the changed order lines touch (before and after the change).
-- Inputs: changed_days, changed_products and changed_sales (the changed lines' keys now; none on a
-- first load), changed_span (a first load's days), replaced_sales (their keys before, and facts
-- attached to a late customer) and gold_batch (temp tables, from fact_changes.sql and
-- fact_late_customers.sql).
-- Outputs: meta.gold_pending_days, _months, _customers, _products, _rebuilds, _batches (migration 014), read and
-- emptied by agg_daily_sales.sql, agg_monthly_sales.sql, customer_sales.sql, product_sales.sql.
-- Runs again on a retry of the facts step: the keys are merged, never lost.

-- The changed lines' days, before and after.
insert into meta.gold_pending_days (run_id, date_key)
select meta.ctx_run_id(), to_char(order_date, 'YYYYMMDD')::int  -- formatted once per day, not once per line
  from (select order_date from changed_days union select order_date from replaced_sales) d
 where order_date is not null
on conflict do nothing;

-- A first load has no day list (fact_changes.sql): every day from its first order day to its
-- last, those without a line included (recomputing a day with no facts writes no row, so a
-- superset of the days is as right as the list). A statement of its own: in the union above, the
-- planner's guess of a thousand days per row of the unanalysed span sized the union's hash table
-- for 1.6 M rows, 0.15-0.2 s of every small day's facts step to allocate it (in turn on a copy).
insert into meta.gold_pending_days (run_id, date_key)
select meta.ctx_run_id(), to_char(d, 'YYYYMMDD')::int
  from changed_span s
 cross join lateral generate_series(s.first_day, s.last_day, interval '1 day') d
 where not (select facts_before from gold_batch)
on conflict do nothing;

insert into meta.gold_pending_months (run_id, year_month)
select distinct meta.ctx_run_id(), date_key / 100 from meta.gold_pending_days where run_id = meta.ctx_run_id()
on conflict do nothing;

-- Customers and products: on a first load (no facts before this run) every one with a line is
-- touched; their totals are rebuilt from every fact instead of a million keys written here (and
-- a product list that would cost a grouping of every line: fact_changes.sql).
insert into meta.gold_pending_rebuilds (model, run_id)
select m.model, meta.ctx_run_id() from (values ('customer_sales'), ('product_sales')) m (model)
 where not (select facts_before from gold_batch)
on conflict do nothing;

-- In key order: each key then goes to the index's rightmost page, where the last one went (seed
-- scale, a 1 % day's 75 k customers, in turn: 0.55-0.61 s in hash order, 0.42-0.45 s sorted).
-- A plain insert of the keys not pending yet for this run (a replay's facts step runs again), not
-- INSERT … ON CONFLICT: the gold lock keeps other writers out, and a speculative insertion costs
-- a probe of the key more per row (the same 75 k customers, in turn: 0.20-0.21 s against 0.33-0.43 s).
insert into meta.gold_pending_customers (run_id, customer_id)
select meta.ctx_run_id(), c.customer_id
  from (select customer_id from changed_sales union select customer_id from replaced_sales) c
 where c.customer_id is not null and (select facts_before from gold_batch)
   and not exists (select 1 from meta.gold_pending_customers p
                    where p.customer_id = c.customer_id and p.run_id = meta.ctx_run_id())
 order by c.customer_id;

-- Grown, not recomputed, only when every touched line of the product is new in this run, and not
-- on a first load (gold_batch.facts_before false), where a recomputation reads the facts once and
-- growing would read them twice. (product_sales.sql also recomputes a product that another run
-- left pending: growing adds one run's lines to totals that must already hold every earlier run's.)
insert into meta.gold_pending_products (run_id, product_number, only_new)
select meta.ctx_run_id(), product_number, bool_and(is_new) and (select facts_before from gold_batch)
  from (select product_number, true as is_new from changed_products
        union all
        select product_number, false from replaced_sales) t  -- a line as it was, or re-attached
 group by product_number
on conflict (product_number, run_id) do update
   set only_new = meta.gold_pending_products.only_new and excluded.only_new;

-- Small or not (gold_batch, from fact_sales.sql): how the aggregates plan their reads of the facts.
insert into meta.gold_pending_batches (run_id, small)
select meta.ctx_run_id(), small from gold_batch
on conflict (run_id) do update set small = excluded.small;
