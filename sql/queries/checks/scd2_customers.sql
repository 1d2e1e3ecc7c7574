-- checks/scd2_customers.sql
-- Purpose: gold.dim_customers has exactly one current version per customer and no two versions
-- of a customer overlap in validity.
-- The database enforces "at most one current version" (the partial unique index
-- dim_customers_one_current) and "no overlap" (a statement trigger): this check makes sure both
-- are in force, and then needs to read only the customers with a closed version, the only ones
-- that can lack a current version or overlap (a few per run), instead of grouping every version
-- (2.0 s of a small day's run at seed scale).
-- Inputs: none. Output: one row (passed, detail).
with counts as (  -- one scan of the dimension for its counts and its closed customers (0.3 core-s each at seed scale)
  select count(*) as versions, count(*) filter (where is_current) as current_versions,
         coalesce(array_agg(distinct customer_id) filter (where not is_current), '{}') as closed_ids
    from gold.dim_customers
), closed as (
  select unnest(closed_ids) as customer_id from counts
), no_current as (
  select count(*) as n
    from closed c
   where not exists (select 1 from gold.dim_customers d where d.customer_id = c.customer_id and d.is_current)
), overlapping as (
  select count(*) as n
    from gold.dim_customers a
    join gold.dim_customers b on a.customer_id = b.customer_id and a.customer_key < b.customer_key
   where a.customer_id in (select customer_id from closed)
     and daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')
), enforced as (
  select exists (select 1 from pg_index i
                  where i.indrelid = 'gold.dim_customers'::regclass and i.indisunique and i.indisvalid
                    and i.indnkeyatts = 1 and i.indkey[0] = (select attnum from pg_attribute
                                                             where attrelid = 'gold.dim_customers'::regclass and attname = 'customer_id')
                    and pg_get_expr(i.indpred, i.indrelid) = 'is_current') as one_current,
         (select count(*) from pg_trigger t
           where t.tgrelid = 'gold.dim_customers'::regclass and t.tgenabled <> 'D'
             and t.tgfoid = 'gold.check_customer_versions()'::regprocedure) = 2 as no_overlap
)
select e.one_current and e.no_overlap and nc.n = 0 and o.n = 0 as passed,
       jsonb_build_object('customers', c.current_versions + nc.n,
                          'versions', c.versions,
                          'notExactlyOneCurrent', nc.n,
                          'overlappingPairs', o.n,
                          'oneCurrentEnforced', e.one_current,
                          'noOverlapEnforced', e.no_overlap) as detail
  from counts c, no_current nc, overlapping o, enforced e
