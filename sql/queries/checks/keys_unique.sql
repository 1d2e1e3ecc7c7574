-- checks/keys_unique.sql
-- Purpose: every silver and gold table has its business or surrogate key enforced unique by the
-- database (primary key or unique index), so uniqueness holds by construction, without scanning.
-- Inputs: none. Output: one row (passed, detail).
with expected(schema_name, table_name, key_cols) as (
  values ('silver', 'customers', 'customer_id'), ('silver', 'products', 'product_id'),
         ('silver', 'sales', 'order_number,product_number'), ('silver', 'erp_customers', 'cid'),
         ('silver', 'locations', 'cid'), ('silver', 'categories', 'id'),
         ('gold', 'dim_customers', 'customer_key'), ('gold', 'dim_products', 'product_key'),
         ('gold', 'dim_products', 'product_id'), ('gold', 'dim_date', 'date_key'),
         ('gold', 'fact_sales', 'order_number,product_number'), ('gold', 'agg_daily_sales', 'date_key'),
         ('gold', 'agg_monthly_sales', 'year_month'), ('gold', 'customer_sales', 'customer_id'),
         ('gold', 'product_sales', 'product_number')
), enforced as (
  select n.nspname as schema_name, c.relname as table_name,
         string_agg(a.attname, ',' order by k.ord) as key_cols
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
   where i.indisunique and i.indpred is null and n.nspname in ('silver', 'gold')
   group by n.nspname, c.relname, i.indexrelid
)
select count(*) filter (where en.key_cols is null) = 0 as passed,
       jsonb_build_object('keys', count(*),
         'notEnforced', coalesce(jsonb_agg(e.schema_name || '.' || e.table_name || '(' || e.key_cols || ')')
                                  filter (where en.key_cols is null), '[]')) as detail
  from expected e
  left join enforced en using (schema_name, table_name, key_cols)
