-- 014_gold_pending_aggregates.sql
-- Purpose: the gold aggregates run after the facts commit, side by side, each in its own
-- transaction (one core each: a single INSERT … SELECT never uses more). What an aggregate must
-- recompute is kept here in between: the keys that the changed order lines touch, written by the
-- facts transaction (sql/gold/aggregate_keys.sql) and deleted by the aggregate's own transaction
-- when it has recomputed them. A key left by a run whose aggregates failed is picked up by the
-- next gold step, of that run or of a later one.

create table meta.gold_pending_days (
  run_id   bigint not null,
  date_key int    not null,
  primary key (date_key, run_id)
);

create table meta.gold_pending_months (
  run_id     bigint not null,
  year_month int    not null,
  primary key (year_month, run_id)
);

create table meta.gold_pending_customers (
  run_id      bigint not null,
  customer_id bigint not null,
  primary key (customer_id, run_id)
);

-- only_new: every touched line of the product is a new fact of run_id, so its totals may grow by
-- that run's lines instead of being recomputed (sql/gold/product_sales.sql).
create table meta.gold_pending_products (
  run_id         bigint  not null,
  product_number text    not null,
  only_new       boolean not null,
  primary key (product_number, run_id)
);

-- An aggregate to rebuild from every fact: what a first load leaves instead of listing every key
-- (seed scale: one marker instead of a million customer ids, 6 s less in the facts transaction).
create table meta.gold_pending_rebuilds (
  model  text   not null,
  run_id bigint not null,
  primary key (model, run_id)
);

-- Whether the facts transaction found its batch small (under 5 % of the facts, migration 012):
-- the aggregates, in transactions of their own, then read the touched facts through indexes too.
-- Forgotten once every aggregate is done (sql/gold/warehouse_state.sql).
create table meta.gold_pending_batches (
  run_id bigint  primary key,
  small  boolean not null
);

-- Key lookups on or off for the rest of the transaction; meta.use_key_lookups decides by size.
create function meta.set_key_lookups(small boolean) returns boolean language plpgsql volatile as $$
begin
  perform set_config('enable_nestloop', case when small then 'on' else 'off' end, true);
  -- Off again after on, in the same transaction: the server's price back.
  perform set_config('random_page_cost',
                     case when small then '1.1' else (select reset_val from pg_settings where name = 'random_page_cost') end, true);
  return small;
end $$;

create or replace function meta.use_key_lookups(batch_rows bigint, target regclass) returns boolean language sql volatile as $$
  select meta.set_key_lookups(batch_rows * 20 < greatest((select reltuples from pg_class where oid = target), 0))
$$;

-- For an aggregate's transaction: key lookups when every pending batch is small (none: not).
create function meta.use_pending_batch_lookups() returns boolean language sql volatile as $$
  select meta.set_key_lookups(coalesce((select bool_and(small) from meta.gold_pending_batches), false))
$$;
