-- 003_bronze.sql
-- Purpose: one append-only table per source. Source values stay raw text (the source is untrusted;
-- silver types them); lineage columns say which run, file and line each row came from.
-- _run_id, _file_id and _line come in the COPY data: the loader writes them before every record
-- as it streams (src/ingest/line-prefixer.ts); per-row defaults cost more. BRIN on _file_id: silver reads
-- a run's rows by file, and file ids grow with time, so the index stays tiny and COPY stays fast.

create table bronze.crm_cust_info (
  cst_id               text,
  cst_key              text,
  cst_firstname        text,
  cst_lastname         text,
  cst_marital_status   text,
  cst_gndr             text,
  cst_create_date      text,
  cst_email            text,
  cst_phone            text,
  cst_address          text,
  cst_city             text,
  cst_postal_code      text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index crm_cust_info_file_brin on bronze.crm_cust_info using brin (_file_id);

create table bronze.crm_prd_info (
  prd_id               text,
  prd_key              text,
  prd_nm               text,
  prd_cost             text,
  prd_line             text,
  prd_start_dt         text,
  prd_end_dt           text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index crm_prd_info_file_brin on bronze.crm_prd_info using brin (_file_id);

create table bronze.crm_sales_details (
  sls_ord_num          text,
  sls_prd_key          text,
  sls_cust_id          text,
  sls_order_dt         text,
  sls_ship_dt          text,
  sls_due_dt           text,
  sls_sales            text,
  sls_quantity         text,
  sls_price            text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index crm_sales_details_file_brin on bronze.crm_sales_details using brin (_file_id);

create table bronze.erp_cust_az12 (
  cid                  text,
  bdate                text,
  gen                  text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index erp_cust_az12_file_brin on bronze.erp_cust_az12 using brin (_file_id);

create table bronze.erp_loc_a101 (
  cid                  text,
  cntry                text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index erp_loc_a101_file_brin on bronze.erp_loc_a101 using brin (_file_id);

create table bronze.erp_px_cat_g1v2 (
  id                   text,
  cat                  text,
  subcat               text,
  maintenance          text,
  _extra               jsonb,
  _run_id              bigint not null,
  _file_id             bigint not null,
  _line                bigint not null,
  _ingested_at         timestamptz not null default now()
);
create index erp_px_cat_g1v2_file_brin on bronze.erp_px_cat_g1v2 using brin (_file_id);
