-- checks/scd2_customers.sql
-- Purpose: gold.dim_customers has exactly one current version per customer and no two versions
-- of a customer overlap in validity.
-- Inputs: none. Output: one row (passed, detail).
with current_counts as (
  select customer_id, count(*) filter (where is_current) as current_versions
    from gold.dim_customers group by customer_id
), versioned as (
  -- Only customers with several versions can overlap: the self-join runs on those few.
  select distinct customer_id from gold.dim_customers where not is_current
), overlapping as (
  select count(*) as n
    from gold.dim_customers a
    join gold.dim_customers b on a.customer_id = b.customer_id and a.customer_key < b.customer_key
   where a.customer_id in (select customer_id from versioned)
     and daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')
)
select (select count(*) from current_counts where current_versions <> 1) = 0 and (select n from overlapping) = 0 as passed,
       jsonb_build_object('customers', (select count(*) from current_counts),
                          'versions', (select count(*) from gold.dim_customers),
                          'notExactlyOneCurrent', (select count(*) from current_counts where current_versions <> 1),
                          'overlappingPairs', (select n from overlapping)) as detail
