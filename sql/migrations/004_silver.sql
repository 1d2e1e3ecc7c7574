-- 004_silver.sql
-- Purpose: cleaned, de-duplicated entities, one table per entity, keyed by the business key and
-- upserted by sql/silver/*. Lineage: the bronze row (_file_id, _line) that supplied the values and
-- the run (_run_id) that last changed the row (gold reads "what changed in this run" from it).
-- Only keys are indexed: every secondary index costs about 2 µs per row written (measured on
-- 750 k rows), and gold reads these tables whole, by hash joins, anyway.

create table silver.customers (
  customer_id      bigint primary key,
  customer_number  text,
  first_name       text,
  last_name        text,
  marital_status   text not null,
  gender           text not null,
  create_date      date,
  email            text,
  phone            text,
  address          text,
  city             text,
  postal_code      text,
  quality_score    numeric(4, 3) not null check (quality_score between 0 and 1),
  _file_id         bigint not null,
  _line            bigint not null,
  _run_id          bigint not null,
  _updated_at      timestamptz not null default now()
);

create table silver.products (
  product_id      bigint primary key,
  category_id     text,
  product_number  text not null,
  product_name    text,
  cost            bigint not null,
  product_line    text not null,
  start_date      date,
  end_date        date,
  _file_id        bigint not null,
  _line           bigint not null,
  _run_id         bigint not null,
  _updated_at     timestamptz not null default now()
);
create index products_number_idx on silver.products (product_number, start_date);

create table silver.sales (
  order_number    text not null,
  product_number  text not null,
  customer_id     bigint,
  order_date      date,
  ship_date       date,
  due_date        date,
  sales_amount    bigint,
  quantity        bigint,
  price           bigint,
  _file_id        bigint not null,
  _line           bigint not null,
  _run_id         bigint not null,
  _updated_at     timestamptz not null default now(),
  primary key (order_number, product_number)
);

create table silver.erp_customers (
  cid          text primary key,
  birthdate    date,
  gender       text not null,
  _file_id     bigint not null,
  _line        bigint not null,
  _run_id      bigint not null,
  _updated_at  timestamptz not null default now()
);

create table silver.locations (
  cid          text primary key,
  country      text not null,
  _file_id     bigint not null,
  _line        bigint not null,
  _run_id      bigint not null,
  _updated_at  timestamptz not null default now()
);

create table silver.categories (
  id           text primary key,
  category     text,
  subcategory  text,
  maintenance  text,
  _file_id     bigint not null,
  _line        bigint not null,
  _run_id      bigint not null,
  _updated_at  timestamptz not null default now()
);
