-- 020_run_sales_image_keyless.sql
-- Purpose: meta.run_sales_image (migration 019) streams the run's lines without a key too, marked
-- by bit 14 of _parse_flags, and the writing COPY drops them (COPY … WHERE, before the NOT NULL
-- check: src/pipeline/sales-load.ts). The streaming side's tally then says how many there are,
-- and the step reads the run's bronze rows a second time only when there are any (usually none:
-- that read cost 3.7 s at seed scale on every first load). Otherwise as in migration 019.

create or replace view meta.run_sales_image as
select s.order_number, s.product_number, s.customer_id, s.order_date, s.ship_date, s.due_date,
       meta.repaired_sales(s.sales_raw, s.quantity, s.price_raw) as sales_amount, s.quantity,
       meta.repaired_price(s.sales_raw, s.quantity, s.price_raw) as price,
       s._file_id, s._line, (select meta.ctx_run_id()) as _run_id,  -- one call, not one per row
       (case when s.customer_id is null then case when nullif(btrim(s.sls_cust_id), '') is null then 1 else 2 end else 0 end)
     + (case when s.order_date is null then case when nullif(btrim(s.sls_order_dt), '') is null then 4 else 8 end else 0 end)
     + (case when s.ship_date is null then case when nullif(btrim(s.sls_ship_dt), '') is null then 16 else 32 end else 0 end)
     + (case when s.due_date is null then case when nullif(btrim(s.sls_due_dt), '') is null then 64 else 128 end else 0 end)
     + (case when s.sales_raw is null then case when nullif(btrim(s.sls_sales), '') is null then 256 else 512 end else 0 end)
     + (case when s.quantity is null then case when nullif(btrim(s.sls_quantity), '') is null then 1024 else 2048 end else 0 end)
     + (case when s.price_raw is null then case when nullif(btrim(s.sls_price), '') is null then 4096 else 8192 end else 0 end)
     + (case when s.order_number is null or s.product_number is null then 16384 else 0 end)  -- no key: not loaded
       as _parse_flags
  from (select * from meta.run_sales_cleaned offset 0) s;
