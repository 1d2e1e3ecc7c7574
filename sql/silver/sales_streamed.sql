-- silver/sales_streamed.sql
-- Purpose: what the order lines' silver step needs after streaming a first load into an empty
-- silver.sales (src/pipeline/sales-load.ts: meta.run_sales_image, migration 019, COPY'd in),
-- in the shape sales.sql leaves it for sales_keys_and_rejects.sql.
-- Inputs: meta.run_sales_cleaned. Outputs: temp tables stg_sales and sales_superseded.

-- The lines the stream left out, those without a key: quarantined next, and counted by the
-- source contract's type checks beside the streamed lines' tally. A filter on two cheap
-- expressions over the run's lines; their other parses only for the few that match.
create temp table stg_sales on commit drop as
select * from meta.run_sales_cleaned where order_number is null or product_number is null;

-- No line is known to repeat yet: the primary key's build finds any (migration 017).
create temp table sales_superseded (_file_id bigint, _line bigint, order_number text, product_number text) on commit drop;
