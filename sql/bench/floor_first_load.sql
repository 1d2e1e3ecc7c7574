-- bench/floor_first_load.sql
-- Purpose: the floor of a first load's silver and gold work, for the benchmark (bench/floor.ts):
-- the spec's transformations as bare statements, one after another, over the baseline's text
-- tables (raw `psql \copy` of the same files, bench/run.ts). The same cleaning rules (MetaLayer's
-- functions and calendar, migration 002 and 006), de-duplication, keys, dimensions, facts, their
-- indexes and the four aggregates; none of what MetaLayer adds around them: no lineage columns,
-- rejects, ledger, expectations, contract checks, end-of-run invariants, frozen rows, relays or
-- incremental bookkeeping. What the work itself costs PostgreSQL on this machine.
-- Inputs: public.baseline_<source> (text columns), meta.* (a migrated database). Outputs: schema
-- bench_floor (dropped first). Statements end with `;` at a line end; each is timed alone.
-- "The later row wins" is decided by the row's place in its table (ctid): the file's order
-- within a chunk, as the baseline loads them, but not across chunks loaded side by side — the
-- same sort as MetaLayer's by file and line, the winner of a tie spanning two chunks may differ.
-- Repeated order lines are not looked for: the key's build finds them, as MetaLayer's first
-- load does (migration 017); the generated data has none.

drop schema if exists bench_floor cascade;
create schema bench_floor;

-- Statistics of every table a later statement reads, as MetaLayer's steps keep them: without
-- them the planner misjudges every join that follows.
analyze public.baseline_crm_sales_details, public.baseline_crm_cust_info, public.baseline_crm_prd_info,
        public.baseline_erp_cust_az12, public.baseline_erp_loc_a101, public.baseline_erp_px_cat_g1v2;

-- silver: order lines (sales rules: dates through the calendar, sales and price repaired)
create table bench_floor.sales as
select s.order_number, s.product_number, s.customer_id, s.order_date, s.ship_date, s.due_date,
       meta.repaired_sales(s.sales_raw, s.quantity, s.price_raw) as sales_amount, s.quantity,
       meta.repaired_price(s.sales_raw, s.quantity, s.price_raw) as price
  from (select meta.clean_text(b.sls_ord_num) as order_number, meta.clean_text(b.sls_prd_key) as product_number,
               meta.try_int8(b.sls_cust_id) as customer_id,
               coalesce(co.day, meta.int_date(b.sls_order_dt)) as order_date,
               coalesce(cs.day, meta.int_date(b.sls_ship_dt)) as ship_date,
               coalesce(cd.day, meta.int_date(b.sls_due_dt)) as due_date,
               meta.try_int8(b.sls_sales) as sales_raw, meta.try_int8(b.sls_quantity) as quantity,
               meta.try_int8(b.sls_price) as price_raw
          from public.baseline_crm_sales_details b
          left join meta.calendar co on co.yyyymmdd = b.sls_order_dt
          left join meta.calendar cs on cs.yyyymmdd = b.sls_ship_dt
          left join meta.calendar cd on cd.yyyymmdd = b.sls_due_dt
        offset '0') s  -- each value parsed once, as meta.run_sales_image does (flattened, the inlined repairs parse it again per use); a bigint constant, so that the repairs above it run in the parallel workers too (migration 033)
 where s.order_number is not null and s.product_number is not null;
alter table bench_floor.sales add primary key (order_number, product_number);
analyze bench_floor.sales;

-- silver: customers (latest create date wins; names, codes and contacts cleaned; quality score)
create table bench_floor.customers as
select w.*, meta.customer_quality(w.first_name, w.last_name, w.email, w.phone, w.address, w.city, w.postal_code) as quality_score
  from (select distinct on (s.customer_id) s.customer_id, s.customer_number, s.first_name, s.last_name, s.marital_status,
               s.gender, s.create_date, meta.valid_email(s.email_text) as email, meta.phone_from_digits(s.phone_digits) as phone,
               s.address, s.city, s.postal_code
          from (select meta.try_int8(b.cst_id) as customer_id, meta.clean_text(b.cst_key) as customer_number,
                       meta.clean_text(b.cst_firstname) as first_name, meta.clean_text(b.cst_lastname) as last_name,
                       case upper(btrim(b.cst_marital_status)) when 'S' then 'Single' when 'M' then 'Married' else 'n/a' end as marital_status,
                       case upper(btrim(b.cst_gndr)) when 'F' then 'Female' when 'M' then 'Male' else 'n/a' end as gender,
                       coalesce(cc.day, meta.try_date(b.cst_create_date)) as create_date,
                       meta.email_text(b.cst_email) as email_text, meta.phone_digits(b.cst_phone) as phone_digits,
                       meta.normalize_address(b.cst_address) as address,
                       initcap(nullif(regexp_replace(btrim(b.cst_city, E' \t\r\n'), '\s+', ' ', 'g'), '')) as city,
                       upper(meta.clean_text(b.cst_postal_code)) as postal_code, b.ctid as row_at
                  from public.baseline_crm_cust_info b
                  left join meta.calendar cc on cc.iso = b.cst_create_date
                offset '0') s  -- each value cleaned once (MetaLayer stages them in a table); a bigint constant: parallel above it too (migration 033)
         where s.customer_id is not null
         order by s.customer_id, s.create_date desc nulls last, s.row_at desc) w;
alter table bench_floor.customers add primary key (customer_id);
analyze bench_floor.customers;

-- silver: ERP customers (NAS prefix stripped, future birthdates dropped, gender mapped)
create table bench_floor.erp_customers as
select distinct on (x.cid collate "C") x.cid,
       case when coalesce(c.day, meta.try_date(b.bdate)) > meta.ctx_as_of() then null else coalesce(c.day, meta.try_date(b.bdate)) end as birthdate,
       case upper(btrim(b.gen)) when 'F' then 'Female' when 'FEMALE' then 'Female' when 'M' then 'Male' when 'MALE' then 'Male' else 'n/a' end as gender
  from public.baseline_erp_cust_az12 b
  left join meta.calendar c on c.iso = b.bdate
 cross join lateral (select case when meta.clean_text(b.cid) like 'NAS%' then substr(meta.clean_text(b.cid), 4) else meta.clean_text(b.cid) end as cid) x
 where x.cid <> ''
 order by x.cid collate "C", b.ctid desc;
alter table bench_floor.erp_customers add primary key (cid);
analyze bench_floor.erp_customers;

-- silver: locations (hyphens removed, countries mapped)
create table bench_floor.locations as
select distinct on (x.cid collate "C") x.cid,
       case when upper(btrim(b.cntry)) = 'DE' then 'Germany' when upper(btrim(b.cntry)) in ('US', 'USA') then 'United States'
            when meta.clean_text(b.cntry) is null then 'n/a' else meta.clean_text(b.cntry) end as country
  from public.baseline_erp_loc_a101 b
 cross join lateral (select replace(meta.clean_text(b.cid), '-', '') as cid) x
 where x.cid <> ''
 order by x.cid collate "C", b.ctid desc;
alter table bench_floor.locations add primary key (cid);
analyze bench_floor.locations;

-- silver and gold: products with their versions' end dates, categories (a few thousand rows)
create table bench_floor.dim_products as
select row_number() over () as product_key, p.*, c.cat as category, c.subcat as subcategory, c.maintenance,
       p.end_date is null as is_current
  from (select meta.try_int8(b.prd_id) as product_id, substr(meta.clean_text(b.prd_key), 7) as product_number,
               replace(substr(meta.clean_text(b.prd_key), 1, 5), '-', '_') as category_id, meta.clean_text(b.prd_nm) as product_name,
               coalesce(meta.try_int8(b.prd_cost), 0) as cost,
               case upper(btrim(b.prd_line)) when 'M' then 'Mountain' when 'R' then 'Road' when 'S' then 'Other Sales'
                    when 'T' then 'Touring' else 'n/a' end as product_line,
               meta.try_date(b.prd_start_dt) as start_date,
               lead(meta.try_date(b.prd_start_dt)) over (partition by substr(meta.clean_text(b.prd_key), 7)
                                                         order by meta.try_date(b.prd_start_dt)) - 1 as end_date
          from public.baseline_crm_prd_info b
         where meta.try_int8(b.prd_id) is not null and length(meta.clean_text(b.prd_key)) >= 7) p
  left join public.baseline_erp_px_cat_g1v2 c on btrim(c.id) = p.category_id;
alter table bench_floor.dim_products add primary key (product_key);
analyze bench_floor.dim_products;

-- gold: customer dimension (a first load: one current version per customer)
create table bench_floor.dim_customers as
select row_number() over () as customer_key, c.customer_id, c.customer_number, c.first_name, c.last_name, c.email, c.phone,
       c.address, c.city, c.postal_code, coalesce(l.country, 'n/a') as country, c.marital_status,
       case when c.gender <> 'n/a' then c.gender else coalesce(e.gender, 'n/a') end as gender, e.birthdate, c.create_date,
       meta.ctx_as_of() as valid_from, null::date as valid_to, true as is_current
  from bench_floor.customers c
  left join bench_floor.erp_customers e on e.cid = c.customer_number
  left join bench_floor.locations l on l.cid = c.customer_number;
alter table bench_floor.dim_customers add primary key (customer_key);
analyze bench_floor.dim_customers;
create unique index on bench_floor.dim_customers (customer_id) where is_current;

-- gold: the date dimension's keys (whole years of the order dates), which the facts take theirs from
create table bench_floor.dim_date as
select to_char(d, 'YYYYMMDD')::int as date_key, d::date as full_date
  from (select min(order_date) as lo, max(order_date) as hi from bench_floor.sales) r
 cross join lateral generate_series(date_trunc('year', r.lo), date_trunc('year', r.hi) + interval '1 year - 1 day', interval '1 day') as d
 where r.lo is not null;
analyze bench_floor.dim_date;

-- gold: facts (product version by order date, else the current one; the customer's current version)
create table bench_floor.fact_sales as
select c.order_number, c.product_number, c.customer_id, coalesce(pv.product_key, pc.product_key) as product_key, dc.customer_key,
       c.order_date, c.ship_date as shipping_date, c.due_date,
       -- the date key as MetaLayer finds it (migration 035): the date dimension's, else from the date's parts
       coalesce(dd.date_key, (date_part('year', c.order_date) * 10000 + date_part('month', c.order_date) * 100
                               + date_part('day', c.order_date))::int) as order_date_key,
       c.sales_amount, c.quantity, c.price
  from bench_floor.sales c
  left join bench_floor.dim_products pv
         on pv.product_number = c.product_number and c.order_date >= pv.start_date and (pv.end_date is null or c.order_date <= pv.end_date)
  left join bench_floor.dim_products pc on pc.product_number = c.product_number and pc.is_current
  left join bench_floor.dim_customers dc on dc.customer_id = c.customer_id and dc.is_current
  left join bench_floor.dim_date dd on dd.full_date = c.order_date;
alter table bench_floor.fact_sales add primary key (order_number, product_number);
analyze bench_floor.fact_sales;
create index on bench_floor.fact_sales (order_date_key);
create index on bench_floor.fact_sales (customer_id);

-- gold: the four aggregates, in their first-load form
create table bench_floor.agg_daily_sales as
select f.order_date, count(distinct f.order_number collate "C") as orders, count(*) as order_lines,
       count(distinct f.customer_id) as customers, sum(f.quantity) as quantity, sum(f.sales_amount) as sales_amount
  from bench_floor.fact_sales f where f.order_date is not null group by f.order_date;
create table bench_floor.agg_monthly_sales as
select f.order_date_key / 100 as year_month, count(distinct f.order_number collate "C") as orders, count(*) as order_lines,
       count(distinct f.customer_id) as customers, sum(f.quantity) as quantity, sum(f.sales_amount) as sales_amount
  from bench_floor.fact_sales f where f.order_date_key is not null group by f.order_date_key / 100;
create table bench_floor.customer_sales as
select f.customer_id, count(distinct f.order_number collate "C") as total_orders, sum(f.sales_amount) as total_sales,
       sum(f.quantity) as total_quantity, count(distinct f.product_number collate "C") as total_products,
       min(f.order_date) as first_order_date, max(f.order_date) as last_order_date
  from bench_floor.fact_sales f
 where f.customer_id is not null and f.order_date is not null and f.customer_key is not null group by f.customer_id;
create table bench_floor.product_sales as
select f.product_number collate "C" as product_number, count(*) as orders, count(distinct f.customer_id) as customers,
       sum(f.quantity) as quantity, sum(f.sales_amount) as sales, min(f.order_date) as first_sale_date, max(f.order_date) as last_sale_date
  from bench_floor.fact_sales f where f.order_date is not null group by f.product_number collate "C";
