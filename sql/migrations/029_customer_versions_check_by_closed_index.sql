-- 029_customer_versions_check_by_closed_index.sql
-- Purpose: the statement trigger that refuses overlapping versions in gold.dim_customers
-- (migrations 005, 025) compares each version the statement wrote with the versions that can
-- overlap it, found through an index of the closed versions, instead of reading every version of
-- every changed customer that has a closed one, three index lookups per customer.
-- Why it is complete: two versions of a customer overlap only if one of them is closed (the
-- partial unique index dim_customers_one_current allows one current version per customer; a first
-- load that suspends it rebuilds it in the same transaction, refusing a second one), and a pair of
-- versions this statement did not write was checked by the statement that wrote it last. So every
-- pair worth checking holds a written version and a closed one: a written closed version against
-- every other version of its customer, or a written version against the customer's other closed
-- versions.
-- Why faster: on a small day (seed scale, 10 k customers changed) the close and the insert each
-- looked up the customers' versions three times (0.1–0.3 s per statement, mostly pages outside the
-- shared buffers); the closed versions' index is small (1 % of the customers per day of changes)
-- and stays in memory. On a first load the closed versions are none: the check reads the written
-- versions' closed ones (none) and the dimension's closed ones (none), and stops.

create index dim_customers_closed_idx on gold.dim_customers (customer_id) where not is_current;

-- Its own planner settings, whatever the caller's: the lookups need nested loops (a gold step turns
-- them off), and a plan priced with nested loops disabled would be compiled by JIT (0.2 s).
create or replace function gold.check_customer_versions() returns trigger language plpgsql
set enable_nestloop = on set jit = off as $$
declare
  bad bigint;
begin
  -- No closed version written and none in the dimension (a first load, whose indexes are
  -- suspended: the lookups below would have no index to use): nothing can overlap.
  if not exists (select 1 from changed_versions where not is_current)
     and not exists (select 1 from gold.dim_customers where not is_current) then
    return null;
  end if;
  -- Driven by the written versions (LATERAL: whatever the planner guesses of the closed versions
  -- just written, which no statistics count yet), each looking its candidates up by index.
  select n.customer_id into bad
    from changed_versions n
    cross join lateral (
          -- a written closed version: every other version of its customer
          select e.customer_key, e.valid_from, e.valid_to
            from gold.dim_customers e
           where e.customer_id = n.customer_id and not n.is_current
          union all
          -- a written current version: the closed versions of its customer
          select e.customer_key, e.valid_from, e.valid_to
            from gold.dim_customers e
           where e.customer_id = n.customer_id and not e.is_current and n.is_current) o
   where o.customer_key <> n.customer_key
     and daterange(n.valid_from, n.valid_to, '[]') && daterange(o.valid_from, o.valid_to, '[]')
   limit 1;
  if bad is not null then
    raise exception 'gold.dim_customers: two versions of customer % overlap in validity', bad
      using errcode = 'exclusion_violation';
  end if;
  return null;
end $$;
