-- silver/sales_streamed.sql
-- Purpose: what the order lines' silver step needs after streaming a first load into an empty
-- silver.sales (src/pipeline/sales-load.ts: meta.run_sales_image, migration 019, COPY'd in),
-- in the shape sales.sql leaves it for sales_keys_and_rejects.sql.
-- Inputs: meta.run_sales_cleaned; the setting metalayer.keyless_lines. Outputs: temp tables
-- stg_sales and sales_superseded.

-- The lines the stream did not load, those without a key, for their rejects. The stream counted
-- them (metalayer.keyless_lines, set by src/pipeline/sales-load.ts): with none (the usual case)
-- the gate is a one-time filter and bronze is not read again. (The contract's type checks count
-- every line from the stream's tally, not from this table.)
create temp table stg_sales on commit drop as
select * from meta.run_sales_cleaned
 where (order_number is null or product_number is null)
   and current_setting('metalayer.keyless_lines')::bigint > 0;

-- No line is known to repeat yet: the primary key's build finds any (migration 017).
create temp table sales_superseded (_file_id bigint, _line bigint, order_number text, product_number text) on commit drop;
