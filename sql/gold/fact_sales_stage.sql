-- gold/fact_sales_stage.sql
-- Purpose: a first load's facts (an empty gold.fact_sales: a first load, a backfill), built as a
-- table of their own outside gold, staging.fact_sales_load, so that their indexes can be built
-- side by side on other connections once this transaction commits, and the table attached whole
-- by gold/fact_sales_attach.sql (migrations 031, 036; src/pipeline/fact-load.ts).
-- Inputs: meta.run_fact_image (migration 015: the run's silver.sales joined to the dimensions, in
-- gold.fact_sales column order); temp tables changed_span (fact_changes.sql) and dim_date_added
-- (dim_date.sql, run before this file: the facts take their date keys from the date dimension,
-- migration 035). Outputs: staging.fact_sales_load (the run's facts with the parent's NOT NULLs,
-- no index yet) and staging.fact_sales_span (the run's lines as changed_span counted them), each
-- replacing what a failed attempt left; gold.dim_date as it was before dim_date.sql (the days it
-- added are taken back: the facts step's own transaction adds them again, with the facts). The
-- caller checked that gold.fact_sales is empty; the CREATE TABLE AS's row count is the facts
-- written.
-- Grain: one row per order line. Key: (order_number, product_number), built with the indexes.

-- Anything here is from an attempt that failed (one gold step at a time: the gold lock).
drop table if exists staging.fact_sales_load;
delete from staging.fact_sales_span;

-- CREATE TABLE AS may read in parallel (the step's settings let the image's joins use workers).
create table staging.fact_sales_load as select * from meta.run_fact_image;

-- The parent's NOT NULL columns: a partition must have them (one scan for the three).
alter table staging.fact_sales_load
  alter column order_number set not null, alter column product_number set not null, alter column _run_id set not null;

insert into staging.fact_sales_span (run_id, lines, first_day, last_day, lo, hi)
select meta.ctx_run_id(), lines, first_day, last_day, lo, hi from changed_span;

delete from gold.dim_date d using dim_date_added a where d.date_key = a.date_key;
