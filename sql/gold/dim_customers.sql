-- gold/dim_customers.sql
-- Purpose: SCD2 customer dimension. A customer whose attributes changed in this run gets its
-- current version closed (valid_to = as-of − 1 day) and a new version valid from the as-of date.
-- Inputs: silver.customers, silver.erp_customers, silver.locations (rows changed by this run; all
--         of them while the dimension is empty); meta.ctx_run_id(), meta.ctx_as_of().
-- Outputs: gold.dim_customers, each version written stamped with the run (_run_id). Grain: one row
--          per customer version. Key: customer_key; (customer_id) unique where is_current;
--          validity ranges never overlap (enforced).
-- A change on or before the current version's valid_from (same-day rerun, late as-of) corrects
-- the current version in place: history is never rewritten into overlapping ranges.

-- An empty dimension (a first load) takes every silver customer, without a list of the ones this
-- run touched (seed scale: a million ids from three million-row tables, 4.6 s on a slow machine).
-- The conditions on it below are one-time filters: a branch that does not apply reads nothing.
create temp table dim_customers_first_load on commit drop as
select not exists (select 1 from gold.dim_customers) as first_load;

create temp table touched_customers on commit drop as
select customer_id from silver.customers
 where _run_id = meta.ctx_run_id() and not (select first_load from dim_customers_first_load)
union
select c.customer_id from silver.erp_customers e join silver.customers c on c.customer_number = e.cid
 where e._run_id = meta.ctx_run_id() and not (select first_load from dim_customers_first_load)
union
select c.customer_id from silver.locations l join silver.customers c on c.customer_number = l.cid
 where l._run_id = meta.ctx_run_id() and not (select first_load from dim_customers_first_load);
analyze touched_customers;
-- A small run reaches its customers' rows and their current versions through indexes (migration
-- 012): decided before the image is built, which joins three silver tables of a million rows
-- each (seed scale, next day, 10 k customers: the image 1.3 s by hashing them whole).
select meta.use_key_lookups_for('touched_customers', 'gold.dim_customers');  -- sized by the analyse above (migration 018)

-- The customers' attributes as the dimension must hold them: every customer on a first load, else
-- the touched ones (each reference to the CTE is planned on its own: not materialized).
create temp table customer_image on commit drop as
with customer_source as not materialized (
  select c.customer_id, c.customer_number, c.first_name, c.last_name, c.email, c.phone, c.address,
         c.city, c.postal_code, coalesce(l.country, 'n/a') as country, c.marital_status,
         case when c.gender <> 'n/a' then c.gender else coalesce(e.gender, 'n/a') end as gender,
         e.birthdate, c.create_date
    from silver.customers c
    left join silver.erp_customers e on e.cid = c.customer_number
    left join silver.locations l on l.cid = c.customer_number
)
select i.*,
       md5(row(i.customer_number, i.first_name, i.last_name, i.email, i.phone, i.address, i.city, i.postal_code,
               i.country, i.marital_status, i.gender, i.birthdate, i.create_date)::text) as attr_hash
  from (select s.* from customer_source s where (select first_load from dim_customers_first_load)
        union all
        select s.* from touched_customers t join customer_source s on s.customer_id = t.customer_id
         where not (select first_load from dim_customers_first_load)) i;
analyze customer_image (customer_id);  -- only the columns joins and filters use: cheaper

-- Same-day (or out-of-order) change: correct the current version in place.
update gold.dim_customers d
   set customer_number = i.customer_number, first_name = i.first_name, last_name = i.last_name,
       email = i.email, phone = i.phone, address = i.address, city = i.city, postal_code = i.postal_code,
       country = i.country, marital_status = i.marital_status, gender = i.gender, birthdate = i.birthdate,
       create_date = i.create_date, attr_hash = i.attr_hash, _run_id = meta.ctx_run_id()
  from customer_image i
 where d.customer_id = i.customer_id and d.is_current and d.attr_hash <> i.attr_hash
   and d.valid_from >= meta.ctx_as_of();

-- Close the current version of every other changed customer.
update gold.dim_customers d
   set valid_to = meta.ctx_as_of() - 1, is_current = false, _run_id = meta.ctx_run_id()
  from customer_image i
 where d.customer_id = i.customer_id and d.is_current and d.attr_hash <> i.attr_hash
   and d.valid_from < meta.ctx_as_of();

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('gold.dim_customers');

-- Open a version for new customers and for those just closed.
insert into gold.dim_customers (customer_id, customer_number, first_name, last_name, email, phone, address, city,
                                postal_code, country, marital_status, gender, birthdate, create_date,
                                valid_from, valid_to, is_current, attr_hash, _run_id)
select i.customer_id, i.customer_number, i.first_name, i.last_name, i.email, i.phone, i.address, i.city,
       i.postal_code, i.country, i.marital_status, i.gender, i.birthdate, i.create_date,
       meta.ctx_as_of(), null, true, i.attr_hash, meta.ctx_run_id()
  from customer_image i
 where not exists (select 1 from gold.dim_customers d where d.customer_id = i.customer_id and d.is_current);

select meta.restore_indexes('gold.dim_customers');
-- The run's versions summarised in its run index (migration 028), for the expectations' scan.
select meta.summarize_new_ranges('gold.dim_customers');

-- The fact model joins to the current versions next, in this transaction: give the planner their size
-- once a tenth of them changed (migration 021).
select meta.analyze_if_stale('gold.dim_customers', 'customer_id', 'customer_key', 'is_current', '_run_id');
