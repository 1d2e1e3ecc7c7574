-- 005_gold.sql
-- Purpose: the star schema (SCD2 dimensions, dim_date, fact_sales) and the aggregates, filled by
-- sql/gold/*. The database itself enforces the SCD2 invariants: one current version per customer
-- (partial unique index) and no overlapping validity ranges (a statement-level trigger).

create table gold.dim_customers (
  customer_key     bigint generated always as identity primary key,
  customer_id      bigint not null,
  customer_number  text,
  first_name       text,
  last_name        text,
  email            text,
  phone            text,
  address          text,
  city             text,
  postal_code      text,
  country          text not null,
  marital_status   text not null,
  gender           text not null,
  birthdate        date,
  create_date      date,
  valid_from       date not null,
  valid_to         date,              -- last day of validity (inclusive); NULL while current
  is_current       boolean not null,
  attr_hash        text not null,     -- md5 of every versioned attribute: a change opens a version
  constraint dim_customers_current_open check (is_current = (valid_to is null)),
  constraint dim_customers_range_valid check (valid_to is null or valid_to >= valid_from)
);
create unique index dim_customers_one_current on gold.dim_customers (customer_id) where is_current;
create index dim_customers_id_idx on gold.dim_customers (customer_id);

-- No overlapping validity ranges, checked once per statement over the customers it touched:
-- an exclusion constraint (GiST) enforces the same row by row at about 18 µs per version
-- written (measured: 2.7 s instead of 0.9 s for 100 k customers). Concurrent writers are kept
-- apart by the partial unique index above (one current version) and by the gold step's lock.
create function gold.check_customer_versions() returns trigger language plpgsql as $$
declare
  bad bigint;
begin
  select d.customer_id into bad
    from (select distinct customer_id from changed_versions) c
    join gold.dim_customers d on d.customer_id = c.customer_id
    join gold.dim_customers e on e.customer_id = d.customer_id and e.customer_key < d.customer_key
   where daterange(d.valid_from, d.valid_to, '[]') && daterange(e.valid_from, e.valid_to, '[]')
   limit 1;
  if bad is not null then
    raise exception 'gold.dim_customers: two versions of customer % overlap in validity', bad
      using errcode = 'exclusion_violation';
  end if;
  return null;
end $$;
create trigger dim_customers_no_overlap_insert after insert on gold.dim_customers
  referencing new table as changed_versions for each statement execute function gold.check_customer_versions();
create trigger dim_customers_no_overlap_update after update on gold.dim_customers
  referencing new table as changed_versions for each statement execute function gold.check_customer_versions();

create table gold.dim_products (
  product_key     bigint generated always as identity primary key,
  product_id      bigint not null unique,
  product_number  text not null,
  product_name    text,
  category_id     text,
  category        text,
  subcategory     text,
  maintenance     text,
  cost            bigint not null,
  product_line    text not null,
  start_date      date,
  end_date        date,
  is_current      boolean not null
);
create index dim_products_number_idx on gold.dim_products (product_number, start_date);

create table gold.dim_date (
  date_key      int primary key,
  full_date     date not null unique,
  day_of_week   smallint not null,
  day_name      text not null,
  day_of_month  smallint not null,
  day_of_year   smallint not null,
  week_of_year  smallint not null,
  month         smallint not null,
  month_name    text not null,
  quarter       smallint not null,
  year          int not null,
  year_month    int not null,
  is_weekend    boolean not null
);

-- Grain: one row per order line. customer_id and product_number are kept so that a late-arriving
-- dimension row can be attached later and the aggregates can be recomputed per key.
create table gold.fact_sales (
  order_number    text not null,
  product_number  text not null,
  customer_id     bigint,
  product_key     bigint,
  customer_key    bigint,
  order_date      date,
  shipping_date   date,
  due_date        date,
  order_date_key  int,
  sales_amount    bigint,
  quantity        bigint,
  price           bigint,
  _run_id         bigint not null,
  primary key (order_number, product_number)
);
-- No secondary indexes on the fact table but this small partial one (facts still waiting for their
-- customer): each index costs about 2 µs per fact written, while the aggregates re-read the facts
-- they need by hash joins. Measured on 750 k facts: 9.1 s with four secondary indexes, 2.3 s without.
create index fact_sales_no_customer_idx on gold.fact_sales (customer_id) where customer_key is null;

create table gold.agg_daily_sales (
  date_key         int primary key,
  full_date        date not null,
  orders           bigint not null,
  order_lines      bigint not null,
  customers        bigint not null,
  quantity         bigint,
  sales_amount     bigint,
  avg_order_value  numeric(14, 2)
);

create table gold.agg_monthly_sales (
  year_month       int primary key,
  orders           bigint not null,
  order_lines      bigint not null,
  customers        bigint not null,
  quantity         bigint,
  sales_amount     bigint,
  avg_order_value  numeric(14, 2),
  mom_growth_pct   numeric(12, 2)
);

-- Per-customer and per-product totals, kept incrementally; the report views below add the
-- measures that depend on the warehouse's as-of date (recency, age, segments).
create table gold.customer_sales (
  customer_id       bigint primary key,
  total_orders      bigint not null,
  total_sales       bigint,
  total_quantity    bigint,
  total_products    bigint not null,
  first_order_date  date not null,
  last_order_date   date not null
);

create table gold.product_sales (
  product_number     text primary key,
  orders             bigint not null,
  customers          bigint not null,
  quantity           bigint,
  sales              bigint,
  first_sale_date    date not null,
  last_sale_date     date not null,
  avg_selling_price  numeric(14, 2)
);

-- The as-of date of the newest gold build: "today" for recency and age.
create table gold.warehouse_state (
  id      boolean primary key default true check (id),
  as_of   date not null,
  run_id  bigint not null
);

create view gold.customer_lifetime_value as
select cs.customer_id,
       dc.customer_number,
       dc.first_name,
       dc.last_name,
       cs.total_orders,
       cs.total_sales,
       cs.total_quantity,
       cs.total_products,
       cs.first_order_date,
       cs.last_order_date,
       meta.months_between(cs.first_order_date, cs.last_order_date) as lifespan_months,
       meta.months_between(cs.last_order_date, ws.as_of) as recency_months,
       round(cs.total_sales::numeric / nullif(cs.total_orders, 0), 2) as avg_order_value,
       round(case when meta.months_between(cs.first_order_date, cs.last_order_date) = 0 then cs.total_sales
                  else cs.total_sales::numeric / meta.months_between(cs.first_order_date, cs.last_order_date) end, 2)
         as avg_monthly_spend,
       date_part('year', age(ws.as_of, dc.birthdate))::int as age,
       case when dc.birthdate is null then 'n/a'
            when date_part('year', age(ws.as_of, dc.birthdate)) < 20 then 'Under 20'
            when date_part('year', age(ws.as_of, dc.birthdate)) < 30 then '20-29'
            when date_part('year', age(ws.as_of, dc.birthdate)) < 40 then '30-39'
            when date_part('year', age(ws.as_of, dc.birthdate)) < 50 then '40-49'
            else '50 and above' end as age_group,
       case when meta.months_between(cs.first_order_date, cs.last_order_date) >= 12 and cs.total_sales > 5000 then 'VIP'
            when meta.months_between(cs.first_order_date, cs.last_order_date) >= 12 then 'Regular'
            else 'New' end as segment
from gold.customer_sales cs
cross join gold.warehouse_state ws
left join gold.dim_customers dc on dc.customer_id = cs.customer_id and dc.is_current;

create view gold.product_performance as
select ps.product_number,
       dp.product_name,
       dp.category,
       dp.subcategory,
       ps.orders,
       ps.customers,
       ps.quantity,
       ps.sales,
       ps.first_sale_date,
       ps.last_sale_date,
       meta.months_between(ps.first_sale_date, ps.last_sale_date) as lifespan_months,
       meta.months_between(ps.last_sale_date, ws.as_of) as recency_months,
       ps.avg_selling_price,
       case when ps.sales > 50000 then 'High-Performer'
            when ps.sales >= 10000 then 'Mid-Range'
            else 'Low-Performer' end as segment
from gold.product_sales ps
cross join gold.warehouse_state ws
left join gold.dim_products dp on dp.product_number = ps.product_number and dp.is_current;
