-- checks/sales_sums_agree.sql
-- Purpose: the sales of fact rows with an order date add up to the daily aggregate and to the
-- monthly aggregate; line counts agree too.
-- Inputs: none. Output: one row (passed, detail).
with t as (
  select (select coalesce(sum(sales_amount), 0) from gold.fact_sales where order_date is not null) as facts,
         (select coalesce(sum(sales_amount), 0) from gold.agg_daily_sales) as daily,
         (select coalesce(sum(sales_amount), 0) from gold.agg_monthly_sales) as monthly,
         (select count(*) from gold.fact_sales where order_date is not null) as fact_lines,
         (select coalesce(sum(order_lines), 0) from gold.agg_daily_sales) as daily_lines,
         (select coalesce(sum(order_lines), 0) from gold.agg_monthly_sales) as monthly_lines
)
select facts = daily and facts = monthly and fact_lines = daily_lines and fact_lines = monthly_lines as passed,
       jsonb_build_object('factSales', facts, 'dailySales', daily, 'monthlySales', monthly,
                          'factLines', fact_lines, 'dailyLines', daily_lines, 'monthlyLines', monthly_lines) as detail
  from t
