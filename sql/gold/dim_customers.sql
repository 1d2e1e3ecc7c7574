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
 where l._run_id = meta.ctx_run_id() and not (select first_load from dim_customers_first_load)
 order by 1;  -- the image's lookups below then follow the keys' order: nearby index and heap pages
analyze touched_customers;
-- A small run reaches its customers' rows and their current versions through indexes (migration
-- 012): decided before the image is built, which joins three silver tables of a million rows
-- each (seed scale, next day, 10 k customers: the image 1.3 s by hashing them whole).
select meta.use_key_lookups_for('touched_customers', 'gold.dim_customers');  -- sized by the analyse above (migration 018)

-- The customers' attributes as the dimension must hold them: every customer on a first load, else
-- the touched ones (each reference to the CTE is planned on its own: not materialized); beside
-- them, their current version, looked up once for the two updates and the insert below, and
-- whether any versioned attribute differs from it (compared column by column: cheaper than the
-- md5 of each row's text the dimension kept before migration 030, 1.9 s of a first load).
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
select s.*, null::bigint as current_key, null::date as current_from, true as changed  -- an empty dimension
  from customer_source s
 where (select first_load from dim_customers_first_load)
union all
select s.*, d.customer_key, d.valid_from,
       (s.customer_number, s.first_name, s.last_name, s.email, s.phone, s.address, s.city, s.postal_code,
        s.country, s.marital_status, s.gender, s.birthdate, s.create_date)
       is distinct from
       (d.customer_number, d.first_name, d.last_name, d.email, d.phone, d.address, d.city, d.postal_code,
        d.country, d.marital_status, d.gender, d.birthdate, d.create_date)
  from touched_customers t
  join customer_source s on s.customer_id = t.customer_id
  left join gold.dim_customers d on d.customer_id = s.customer_id and d.is_current
 where not (select first_load from dim_customers_first_load);
analyze customer_image (customer_id, current_key, current_from, changed);  -- what the statements below filter by

-- Same-day (or out-of-order) change: correct the current version in place.
update gold.dim_customers d
   set customer_number = i.customer_number, first_name = i.first_name, last_name = i.last_name,
       email = i.email, phone = i.phone, address = i.address, city = i.city, postal_code = i.postal_code,
       country = i.country, marital_status = i.marital_status, gender = i.gender, birthdate = i.birthdate,
       create_date = i.create_date, _run_id = meta.ctx_run_id()
  from customer_image i
 where d.customer_key = i.current_key and i.changed and i.current_from >= meta.ctx_as_of()
   and not (select first_load from dim_customers_first_load);  -- a first load has nothing to update: reads nothing

-- Close the current version of every other changed customer.
update gold.dim_customers d
   set valid_to = meta.ctx_as_of() - 1, is_current = false, _run_id = meta.ctx_run_id()
  from customer_image i
 where d.customer_key = i.current_key and i.changed and i.current_from < meta.ctx_as_of()
   and not (select first_load from dim_customers_first_load);

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('gold.dim_customers');

-- Open a version for new customers and for those just closed.
insert into gold.dim_customers (customer_id, customer_number, first_name, last_name, email, phone, address, city,
                                postal_code, country, marital_status, gender, birthdate, create_date,
                                valid_from, valid_to, is_current, _run_id)
select i.customer_id, i.customer_number, i.first_name, i.last_name, i.email, i.phone, i.address, i.city,
       i.postal_code, i.country, i.marital_status, i.gender, i.birthdate, i.create_date,
       meta.ctx_as_of(), null, true, meta.ctx_run_id()
  from customer_image i
 where i.current_key is null or (i.changed and i.current_from < meta.ctx_as_of());

select meta.restore_indexes('gold.dim_customers');
-- The run's versions summarised in its run index (migration 028), for the expectations' scan.
select meta.summarize_new_ranges('gold.dim_customers');

-- The fact model joins to the current versions next, in this transaction: give the planner their size
-- once a tenth of them changed (migration 021).
select meta.analyze_if_stale('gold.dim_customers', 'customer_id', 'customer_key', 'is_current', '_run_id');
