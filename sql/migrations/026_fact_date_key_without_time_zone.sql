-- 026_fact_date_key_without_time_zone.sql
-- Purpose: meta.run_fact_image (migration 015) computes each fact's order_date_key from the date's
-- parts instead of to_char(order_date, 'YYYYMMDD'). to_char has no date variant: PostgreSQL casts
-- the date to a timestamp WITH time zone first, which looks up the session's time zone for every
-- row, then formats and parses text. The parts give the same key for every year 1–9999 (silver's
-- dates are 8-digit YYYYMMDD days) and do not depend on the session's time zone.
-- Measured at seed scale (the 7.5 M facts' image copied to /dev/null in one process, in turn):
-- 10.9–11.1 core-s with to_char, 10.0–10.3 with the parts; the keys are the same for every line.
-- The rest of the view is migration 015's, column for column (a binary COPY maps by position).

create or replace view meta.run_fact_image as
select c.order_number, c.product_number, c.customer_id,
       coalesce(pv.product_key, pc.product_key) as product_key, dc.customer_key,
       c.order_date, c.ship_date as shipping_date, c.due_date,
       (date_part('year', c.order_date) * 10000 + date_part('month', c.order_date) * 100
        + date_part('day', c.order_date))::int as order_date_key,
       c.sales_amount, c.quantity, c.price, c._run_id  -- = meta.ctx_run_id(), without a call per row
  from silver.sales c
  left join gold.dim_products pv
         on pv.product_number = c.product_number
        and c.order_date >= pv.start_date and (pv.end_date is null or c.order_date <= pv.end_date)
  left join gold.dim_products pc on pc.product_number = c.product_number and pc.is_current
  left join gold.dim_customers dc on dc.customer_id = c.customer_id and dc.is_current
 where c._run_id = meta.ctx_run_id();
