-- 019_run_sales_views.sql
-- Purpose: the run's CRM order lines as the silver rules read them, as views, so that the two
-- paths of the order lines' silver step read one definition (src/pipeline/sales-load.ts):
--   - sql/silver/sales.sql stages meta.run_sales_cleaned in a temp table, then updates and inserts;
--   - a first load (silver.sales empty) streams meta.run_sales_image from a second connection with
--     COPY … TO STDOUT straight into the step's COPY silver.sales … FROM STDIN (FREEZE), as the
--     facts do (migration 015). Measured at seed scale, 7.5 M lines: staging 15.9 s + insert
--     16.3 s, against 20.5–22.6 s for the stream.
-- Rules (the silver rules for order lines): keys trimmed, empty → NULL; a date integer that is 0,
-- not 8 digits or no calendar day → NULL (by calendar lookup, migration 006; meta.int_date only
-- for values the calendar lacks); integers that do not parse → NULL; sales and price repaired by
-- meta.repaired_sales / meta.repaired_price (migration 002).
-- Reads meta.ctx_file_ids() and meta.ctx_run_id(): the reading connection sets them first.

-- Every bronze row of the run's files, with its parsed values beside the raw ones (b.*).
create view meta.run_sales_cleaned as
select b.*,
       meta.clean_text(b.sls_ord_num)  as order_number,
       meta.clean_text(b.sls_prd_key)  as product_number,
       meta.try_int8(b.sls_cust_id)    as customer_id,
       coalesce(co.day, meta.int_date(b.sls_order_dt)) as order_date,
       coalesce(cs.day, meta.int_date(b.sls_ship_dt)) as ship_date,
       coalesce(cd.day, meta.int_date(b.sls_due_dt)) as due_date,
       meta.try_int8(b.sls_sales)      as sales_raw,
       meta.try_int8(b.sls_quantity)   as quantity,
       meta.try_int8(b.sls_price)      as price_raw
  from bronze.crm_sales_details b
  left join meta.calendar co on co.yyyymmdd = b.sls_order_dt
  left join meta.calendar cs on cs.yyyymmdd = b.sls_ship_dt
  left join meta.calendar cd on cd.yyyymmdd = b.sls_due_dt
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)

-- The silver rows of the run's lines that have both keys, in silver.sales column order (a binary
-- COPY maps them by position; _updated_at takes its default), then _parse_flags, which the
-- streaming side strips off and counts for the source contract's type checks
-- (src/quality/contract-types.ts, STAGED_PARSES: its column order is this bit order). For the
-- k-th parsed column, k = 0..6 (customer id, order, ship and due dates, sales, quantity, price):
-- bit 2k set = the raw value is blank, bit 2k+1 set = present but not parsed.
-- OFFSET 0 keeps the cleaned values a subquery's columns, computed once per row (below the
-- fence, in the parallel workers): pulled up, every reference to one would inline its whole
-- parse again (meta.repaired_sales reads sales, quantity and price three times; 33.6 s instead
-- of 16.7 s measured). Lines repeated in the run are left to the primary key's build
-- (migration 017).
create view meta.run_sales_image as
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
       as _parse_flags
  from (select * from meta.run_sales_cleaned offset 0) s
 where s.order_number is not null and s.product_number is not null;

-- A rejected order line's record in quarantine.rejects: its raw values as they came, by name.
-- One definition for the rejects of sql/silver/sales_keys_and_rejects.sql, whichever table the
-- line is read from.
create function meta.sales_record(ord_num text, prd_key text, cust_id text, order_dt text, ship_dt text, due_dt text,
                                  sales text, quantity text, price text, extra jsonb)
  returns jsonb language sql stable parallel safe
  as $$ select jsonb_build_object('sls_ord_num', ord_num, 'sls_prd_key', prd_key, 'sls_cust_id', cust_id,
                                  'sls_order_dt', order_dt, 'sls_ship_dt', ship_dt, 'sls_due_dt', due_dt,
                                  'sls_sales', sales, 'sls_quantity', quantity, 'sls_price', price, '_extra', extra) $$;
