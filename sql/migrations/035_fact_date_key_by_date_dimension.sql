-- 035_fact_date_key_by_date_dimension.sql
-- Purpose: meta.run_fact_image (migrations 015, 026, 032) takes each fact's order_date_key from
-- the date dimension, gold.dim_date, by a hash join on the day, instead of computing it from three
-- date_part calls per line. date_part(text, date) is a SQL function over a timestamp: every call
-- reads its unit name and breaks the whole timestamp into fields again, three times per line. The
-- facts step fills gold.dim_date before the facts now (src/pipeline/fact-load.ts: sql/gold/dim_date.sql
-- needs only fact_changes.sql's changed_span, the whole years of the run's dates), so every line
-- of the run finds its day there; a day that does not (the view read outside the step) keeps the
-- date_part key, so every line gets the key it got before (tests/integration/fact-load.test.ts:
-- years 1–9999, any time zone). Measured at seed scale, the first load's CREATE TABLE AS of the
-- 7.5 M facts alone on a copy of the bench warehouse, in turn: four pairs 12.8 s and 22.0 busy
-- core-s (a join to meta.calendar's 146 k days) against 14.2 s and 24.7 (date_part), then four
-- pairs 11.5 s and 20.0 (gold.dim_date's 1,461 days) against 12.0 s and 20.8 (meta.calendar); a
-- small day's image (75 k lines) 466 ms against 456 ms with date_part, where meta.calendar's hash
-- cost 521 against 444 (bench/HISTORY.md, 2026-12-06). The rest of the view is migration 032's,
-- column for column.

create or replace view meta.run_fact_image as
select c.order_number, c.product_number, c.customer_id,
       coalesce(pv.product_key, pc.product_key) as product_key, dc.customer_key,
       c.order_date, c.ship_date as shipping_date, c.due_date,
       coalesce(dd.date_key,  -- a day not in the dimension: from its parts
                (date_part('year', c.order_date) * 10000 + date_part('month', c.order_date) * 100
                 + date_part('day', c.order_date))::int) as order_date_key,
       c.sales_amount, c.quantity, c.price, c._run_id  -- = meta.ctx_run_id(), without a call per row
  from silver.sales c
  left join gold.dim_products pv
         on pv.product_number = c.product_number
        and c.order_date >= pv.start_date and (pv.end_date is null or c.order_date <= pv.end_date)
  left join gold.dim_products pc on pc.product_number = c.product_number and pc.is_current
  left join gold.dim_customers dc on dc.customer_id = c.customer_id and dc.is_current
  left join gold.dim_date dd on dd.full_date = c.order_date
 where c._run_id = meta.ctx_run_id();
