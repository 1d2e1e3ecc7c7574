-- checks/scd2_products.sql
-- Purpose: gold.dim_products has one current version per product number and its versions'
-- [start_date, end_date] ranges do not overlap.
-- Inputs: none. Output: one row (passed, detail).
with current_counts as (
  select product_number, count(*) filter (where is_current) as current_versions
    from gold.dim_products group by product_number
), ordered as (
  select product_number, start_date, end_date,
         lead(start_date) over (partition by product_number order by start_date, product_id) as next_start
    from gold.dim_products
)
select (select count(*) from current_counts where current_versions <> 1) = 0
       and (select count(*) from ordered where next_start is not null and (end_date is null or end_date >= next_start)) = 0 as passed,
       jsonb_build_object('products', (select count(*) from current_counts),
                          'versions', (select count(*) from gold.dim_products),
                          'notExactlyOneCurrent', (select count(*) from current_counts where current_versions <> 1),
                          'overlaps', (select count(*) from ordered where next_start is not null and (end_date is null or end_date >= next_start))) as detail
