-- quality_rows.sql
-- Purpose: /api/quality — the distribution of the per-row quality score of silver customers
-- (share of contact fields present and valid), now.
select 'silver.customers' as "table", count(*)::int as rows,
       round(avg(quality_score), 3)::float8 as avg_score,
       count(*) filter (where quality_score < 0.5)::int as rows_below_half
  from silver.customers;
