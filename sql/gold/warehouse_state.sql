-- gold/warehouse_state.sql
-- Purpose: records the as-of date of this gold build, once every aggregate is done: the "today"
-- of recency and age in the customer_lifetime_value and product_performance views. A later as-of
-- never moves it back. Forgets the finished batches' planning hints (migration 014).
-- Inputs: meta.ctx_as_of(), meta.ctx_run_id(). Outputs: gold.warehouse_state (one row);
-- meta.gold_pending_batches emptied.

insert into gold.warehouse_state (id, as_of, run_id)
values (true, meta.ctx_as_of(), meta.ctx_run_id())
on conflict (id) do update
   set as_of = excluded.as_of, run_id = excluded.run_id
 where gold.warehouse_state.as_of <= excluded.as_of;

delete from meta.gold_pending_batches;
