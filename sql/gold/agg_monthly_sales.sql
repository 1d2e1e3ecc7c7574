-- gold/agg_monthly_sales.sql
-- Purpose: monthly sales aggregate with month-over-month growth, recomputed for the months whose
-- order lines changed and for the month after each (its growth depends on the changed month).
-- Inputs: gold.fact_sales, gold.dim_date, meta.gold_pending_months (from aggregate_keys.sql).
-- Outputs: gold.agg_monthly_sales; the pending months it recomputed are deleted (same transaction).
-- Grain: one row per calendar month with dated order lines. Key: year_month (YYYYMM).

-- A small batch reads its facts through indexes (migration 014: every pending batch small).
select meta.use_pending_batch_lookups();

create temp table touched_months on commit drop as
select distinct year_month from meta.gold_pending_months;
analyze touched_months;
delete from meta.gold_pending_months p using touched_months t where p.year_month = t.year_month;

delete from gold.agg_monthly_sales a using touched_months t where a.year_month = t.year_month;

-- Text keys grouped and counted distinct under "C": why in gold/agg_daily_sales.sql.
insert into gold.agg_monthly_sales (year_month, orders, order_lines, customers, quantity, sales_amount, avg_order_value)
select f.order_date_key / 100, count(distinct f.order_number collate "C"), count(*), count(distinct f.customer_id),
       sum(f.quantity), sum(f.sales_amount),
       round(sum(f.sales_amount)::numeric / nullif(count(distinct f.order_number collate "C"), 0), 2)
  from gold.fact_sales f
  -- the touched months' days, so that a small run reads their facts through fact_sales_date_idx
  join gold.dim_date d on d.date_key = f.order_date_key
  join touched_months m on m.year_month = d.year_month
 group by f.order_date_key / 100;

-- Growth against the calendar month before; NULL when that month has no sales.
update gold.agg_monthly_sales m
   set mom_growth_pct = round((m.sales_amount - p.sales_amount) * 100.0 / nullif(p.sales_amount, 0), 2)
  from gold.agg_monthly_sales p
 where p.year_month = case when m.year_month % 100 = 1 then m.year_month - 89 else m.year_month - 1 end
   and (m.year_month in (select year_month from touched_months)
        or m.year_month in (select case when year_month % 100 = 12 then year_month + 89 else year_month + 1 end
                              from touched_months));

update gold.agg_monthly_sales m
   set mom_growth_pct = null
 where m.year_month in (select year_month from touched_months)
   and not exists (select 1 from gold.agg_monthly_sales p
                    where p.year_month = case when m.year_month % 100 = 1 then m.year_month - 89 else m.year_month - 1 end);
