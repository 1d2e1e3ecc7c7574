-- 033_run_sales_image_parallel_projection.sql
-- Purpose: meta.run_sales_image (migrations 019, 020) computes its repaired amounts and parse
-- flags in the parallel workers, not in the process that writes the rows. Its fence, the
-- subquery `OFFSET 0` that keeps each cleaned value parsed once per row, was written with an
-- integer literal, which the parser casts to bigint by a function call: to the planner that is
-- an OFFSET it cannot read as zero, so it never scanned the subquery in parallel, and everything
-- above the fence (meta.repaired_sales, meta.repaired_price, the eight parse flags, the run id)
-- ran in the leader, on rows handed to it with every raw text field, while the leader also wrote
-- them. `OFFSET '0'` is a bigint constant from the start: the planner sees that no limit is
-- needed and puts the Gather above the subquery scan, while the offset still keeps the subquery
-- from being pulled up (so the parse stays once per row). Seed scale, the first load's
-- CREATE TABLE AS of the 7.5 M order lines, three in turn each on a copy of the bench warehouse:
-- 14.4–16.3 s and 23.6–26.6 busy core-s before, 12.2–13.6 s and 19.5–22.3 after; the same rows
-- (EXCEPT ALL both ways empty). Otherwise the view of migration 020, column for column.

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
  from (select * from meta.run_sales_cleaned offset '0') s;  -- a bigint constant: see above
