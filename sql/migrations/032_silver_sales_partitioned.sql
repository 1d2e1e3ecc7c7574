-- 032_silver_sales_partitioned.sql
-- Purpose: lets a first load build the order lines' silver rows as a table of their own, with a
-- parallel read, and put them in place whole, as migration 031 does for the facts. silver.sales
-- becomes a parent partitioned by list of order number with one partition only, its default,
-- silver.sales_rows, which holds every line: reads, writes and keys go through the parent as
-- before. A first load (sql/silver/sales_first_load.sql) creates the lines with CREATE TABLE AS
-- of meta.run_sales_image, whose read may run in parallel where the COPY stream it replaces read
-- on one process and relayed every row through the worker; the empty partition is dropped and the
-- new table attached as the default, which builds the parent's key and run index on it. A
-- repeated line fails that build: meta.try_attach_default_partition then leaves the table
-- detached, and sql/silver/sales_keys_and_rejects.sql ranks its lines, quarantines the superseded
-- ones and attaches it again (meta.attach_default_partition), as it did for the stream's key.

alter table silver.sales rename to sales_rows;
alter table silver.sales_rows rename constraint sales_pkey to sales_rows_pkey;
alter index silver.sales_run_idx rename to sales_rows__run_id_idx;

create table silver.sales (like silver.sales_rows including defaults including constraints)
  partition by list (order_number);
alter table silver.sales add constraint sales_pkey primary key (order_number, product_number);
create index sales_run_idx on silver.sales using brin (_run_id int8_minmax_multi_ops);
-- The existing lines stay where they are: their indexes match the parent's and are attached, not built.
alter table silver.sales attach partition silver.sales_rows default;
analyze silver.sales;

-- The view read silver.sales by its identity, which the rename above gave to the partition: the
-- same definition again (migration 026's, column for column), now reading the parent.
create or replace view meta.run_fact_image as
select c.order_number, c.product_number, c.customer_id,
       coalesce(pv.product_key, pc.product_key) as product_key, dc.customer_key,
       c.order_date, c.ship_date as shipping_date, c.due_date,
       (date_part('year', c.order_date) * 10000 + date_part('month', c.order_date) * 100
        + date_part('day', c.order_date))::int as order_date_key,
       c.sales_amount, c.quantity, c.price, c._run_id  -- = meta.ctx_run_id(), without a call per row
  from silver.sales c
  left join gold.dim_products pv
         on pv.product_number = c.product_number
        and c.order_date >= pv.start_date and (pv.end_date is null or c.order_date <= pv.end_date)
  left join gold.dim_products pc on pc.product_number = c.product_number and pc.is_current
  left join gold.dim_customers dc on dc.customer_id = c.customer_id and dc.is_current
 where c._run_id = meta.ctx_run_id();

-- Attaches `part` as the default partition of `parent` (which builds the parent's keys and indexes
-- on it) unless it is attached already. Returns whether it attached it now.
create function meta.attach_default_partition(parent regclass, part regclass) returns boolean language plpgsql as $$
begin
  if exists (select 1 from pg_inherits where inhparent = parent and inhrelid = part) then
    return false;
  end if;
  execute format('alter table %s attach partition %s default', parent, part);
  return true;
end $$;

-- As meta.attach_default_partition, but a repeated key makes it return false instead of failing
-- the step: its subtransaction is rolled back and the table stays detached, for the caller to
-- remove the repeated rows and attach it again (as meta.try_restore_indexes, migration 017).
-- True when the table is attached after it.
create function meta.try_attach_default_partition(parent regclass, part regclass) returns boolean language plpgsql as $$
begin
  perform meta.attach_default_partition(parent, part);
  return true;
exception when unique_violation then
  return false;
end $$;
