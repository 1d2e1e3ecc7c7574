-- gold/fact_sales_first_load.sql
-- Purpose: a first load's facts (an empty gold.fact_sales: a first load, a backfill), built as a
-- table of their own and put in place whole (migration 031), instead of written row by row.
-- Inputs: meta.run_fact_image (migration 015: the run's silver.sales joined to the dimensions,
-- in gold.fact_sales column order). Outputs: gold.fact_sales's one partition, gold.fact_sales_rows,
-- replaced. The caller (src/pipeline/fact-load.ts) checked that the table is empty; the first
-- statement's row count is the facts written. In the facts step's transaction: a failure leaves
-- the empty partition as it was.
-- Grain: one row per order line. Key: (order_number, product_number), built by the attach.

-- CREATE TABLE AS may read in parallel (the step's settings let the image's joins use workers).
create table gold.fact_sales_load as select * from meta.run_fact_image;

-- The parent's NOT NULL columns: a partition must have them (one scan for the three).
alter table gold.fact_sales_load
  alter column order_number set not null, alter column product_number set not null, alter column _run_id set not null;

-- The empty partition out, the new table in as the default. With no other partition the attach
-- validates nothing; it builds the parent's key and indexes on the new partition (a repeated key
-- fails here, as it failed the index build of the stream this replaces).
drop table gold.fact_sales_rows;
alter table gold.fact_sales_load rename to fact_sales_rows;
alter table gold.fact_sales attach partition gold.fact_sales_rows default;
