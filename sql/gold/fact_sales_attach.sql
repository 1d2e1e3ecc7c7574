-- gold/fact_sales_attach.sql
-- Purpose: a first load's staged facts (gold/fact_sales_stage.sql), their indexes built and their
-- key made (src/pipeline/fact-load.ts: meta.staged_index_builds, migration 036), put in place as
-- gold.fact_sales's one partition. Inputs: staging.fact_sales_load. Outputs: gold.fact_sales_rows
-- replaced by it; staging.fact_sales_span and meta.silver_sales_span emptied. The caller checked
-- that gold.fact_sales is empty. In the facts step's transaction: a failure leaves the empty
-- partition as it was.
-- Grain: one row per order line. Key: (order_number, product_number).

-- The empty partition out, the staged table in as the default. With no other partition the
-- attach validates nothing, and it finds each of the parent's indexes already built on the table:
-- it attaches them and builds none.
drop table gold.fact_sales_rows;
alter table staging.fact_sales_load set schema gold;
alter table gold.fact_sales_load rename to fact_sales_rows;
alter table gold.fact_sales attach partition gold.fact_sales_rows default;

delete from staging.fact_sales_span;
-- The silver step's count of the run's lines (migration 038), read by this step: done with.
delete from meta.silver_sales_span;
