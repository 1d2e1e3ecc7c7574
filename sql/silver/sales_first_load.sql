-- silver/sales_first_load.sql
-- Purpose: a first load's order lines (an empty silver.sales: a first load, a backfill), built as
-- a table of their own and made the parent's partition whole (migration 032), instead of written
-- row by row; in the shape sql/silver/sales.sql leaves the step for sales_keys_and_rejects.sql,
-- which attaches the table (building the key, the check for repeated lines).
-- Inputs: meta.run_sales_image (migrations 019, 020: the run's lines typed and repaired, with their
-- parse flags); meta.run_sales_cleaned for the lines without a key. Outputs: silver.sales_rows
-- replaced by the run's lines with both keys, detached; meta.silver_sales_span (how many lines
-- the table keeps and their dates, for the facts step: migration 038); temp tables stg_sales
-- (the lines without a key, for their rejects), sales_superseded (empty: the attach finds
-- repeated lines) and sales_whole_rows (how many lines the table keeps, for the step's closing
-- count). The last statement returns the parse flags' counts (src/pipeline/sales-load.ts: the
-- source contract's type checks). The caller checked that silver.sales is empty; in the step's
-- transaction, so a failure leaves the empty partition as it was.
-- Grain: one row per order line. Key: (order_number, product_number), built by the attach.

-- CREATE TABLE AS may read in parallel (src/pipeline/sales-load.ts sets how many workers).
-- _updated_at as its default would give it; the parse flags are counted below, then dropped.
create table silver.sales_load as
select order_number, product_number, customer_id, order_date, ship_date, due_date, sales_amount, quantity, price,
       _file_id, _line, _run_id, now() as _updated_at, _parse_flags
  from meta.run_sales_image;

-- Every line's parse flags, counted once: a few distinct values (bit 2k blank, 2k+1 not parsed,
-- 14 without a key). In the same pass, each group's order days and every date it holds, for the
-- facts step (below: the pass reads every column up to the flags, the last one, anyway).
create temp table sales_flags on commit drop as
select _parse_flags as flags, count(*)::bigint as lines, min(order_date) as first_day, max(order_date) as last_day,
       least(min(order_date), min(ship_date), min(due_date)) as lo, greatest(max(order_date), max(ship_date), max(due_date)) as hi
  from silver.sales_load group by _parse_flags;

-- The lines the table keeps (all but those without a key, deleted below) counted for the facts
-- step (migration 038: sql/gold/fact_changes.sql reads this row instead of scanning them again).
-- sales_keys_and_rejects.sql deletes it if the key's build finds repeated lines.
delete from meta.silver_sales_span;
insert into meta.silver_sales_span (run_id, lines, first_day, last_day, lo, hi)
select meta.ctx_run_id(), coalesce(sum(lines), 0)::bigint, min(first_day), max(last_day), min(lo), max(hi)
  from sales_flags where flags & 16384 = 0;

-- The lines without a key, for their rejects (sales_keys_and_rejects.sql). Usually there are
-- none: the condition on sales_flags is then a one-time filter and bronze is not read again.
create temp table stg_sales on commit drop as
select * from meta.run_sales_cleaned
 where (order_number is null or product_number is null)
   and exists (select 1 from sales_flags where flags & 16384 <> 0);
-- Deleted and counted at once: the lines the table keeps are every line counted above less these,
-- so that sales_keys_and_rejects.sql need not count the run's lines again (a scan of the 7.5 M
-- lines at seed scale, 0.75-0.88 s).
create temp table sales_whole_rows (n bigint not null) on commit drop;
with keyless as (
  delete from silver.sales_load
   where (order_number is null or product_number is null)
     and exists (select 1 from sales_flags where flags & 16384 <> 0)
  returning 1
)
insert into sales_whole_rows (n)
select coalesce((select sum(lines) from sales_flags), 0)::bigint - count(*) from keyless;

-- No line is known to repeat yet: the attach's key build finds any.
create temp table sales_superseded (_file_id bigint, _line bigint, order_number text, product_number text) on commit drop;

-- The parent's columns and NOT NULLs, which a partition must have (one scan for all of them).
alter table silver.sales_load
  drop column _parse_flags,
  alter column order_number set not null, alter column product_number set not null,
  alter column _file_id set not null, alter column _line set not null,
  alter column _run_id set not null, alter column _updated_at set not null;

-- The empty partition out, the new table under its name (attached by sales_keys_and_rejects.sql).
drop table silver.sales_rows;
alter table silver.sales_load rename to sales_rows;

select flags, lines from sales_flags;
