-- gold/dim_date.sql
-- Purpose: the date dimension, in whole years covering every date of the facts.
-- Inputs: changed_span (temp, from fact_changes.sql: every date of the run's lines). Outputs: gold.dim_date (missing days added);
--          temp table dim_date_added, the days added (a staged build of the facts takes them back
--          before it commits: sql/gold/fact_sales_stage.sql).
-- Grain: one row per calendar day. Key: date_key (YYYYMMDD).

create temp table if not exists dim_date_added (date_key int not null) on commit drop;
with added as (
  insert into gold.dim_date (date_key, full_date, day_of_week, day_name, day_of_month, day_of_year, week_of_year,
                             month, month_name, quarter, year, year_month, is_weekend)
  select to_char(d, 'YYYYMMDD')::int, d::date, extract(isodow from d), trim(to_char(d, 'Day')),
         extract(day from d), extract(doy from d), extract(week from d), extract(month from d),
         trim(to_char(d, 'Month')), extract(quarter from d), extract(year from d),
         to_char(d, 'YYYYMM')::int, extract(isodow from d) in (6, 7)
    from changed_span r
   cross join lateral generate_series(date_trunc('year', r.lo), date_trunc('year', r.hi) + interval '1 year - 1 day',
                                      interval '1 day') as d
   where r.lo is not null
  on conflict (date_key) do nothing
  returning date_key
)
insert into dim_date_added (date_key) select date_key from added;
