-- silver/products.sql
-- Purpose: CRM product versions of the run's files → silver.products.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.crm_prd_info rows of the run's files. Outputs: silver.products, quarantine.rejects.
-- Grain: one row per product version (product_id). Key: product_id.
-- Rules: cat_id = first 5 chars of prd_key with '-' → '_'; product_number = prd_key after the 6th
-- char; NULL cost → 0; line M/R/S/T → Mountain/Road/Other Sales/Touring else n/a; end_date = the
-- day before the next version's start of the same product_number, NULL for the latest version.

create temp table stg_products on commit drop as
select b.*,
       meta.try_int8(b.prd_id)                             as product_id,
       meta.clean_text(b.prd_key)                          as key_text,
       replace(substr(meta.clean_text(b.prd_key), 1, 5), '-', '_') as category_id,
       substr(meta.clean_text(b.prd_key), 7)               as product_number,
       meta.clean_text(b.prd_nm)                           as product_name,
       coalesce(meta.try_int8(b.prd_cost), 0)              as cost,
       case upper(btrim(b.prd_line)) when 'M' then 'Mountain' when 'R' then 'Road'
            when 'S' then 'Other Sales' when 'T' then 'Touring' else 'n/a' end as product_line,
       meta.try_date(b.prd_start_dt)                       as start_date,
       row_number() over (partition by meta.try_int8(b.prd_id) order by b._file_id desc, b._line desc) as rn
  from bronze.crm_prd_info b
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)
analyze stg_products (product_id, product_number, rn);  -- only the columns joins and filters use: cheaper

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'crm_prd_info', s._line, 'silver', r.rule, r.reason,
       jsonb_build_object('prd_id', s.prd_id, 'prd_key', s.prd_key, 'prd_nm', s.prd_nm, 'prd_cost', s.prd_cost,
         'prd_line', s.prd_line, 'prd_start_dt', s.prd_start_dt, 'prd_end_dt', s.prd_end_dt, '_extra', s._extra)
  from stg_products s
 cross join lateral (
       select case when s.product_id is null then 'products.prd_id_integer'
                   when s.key_text is null or length(s.key_text) < 7 then 'products.prd_key_format'
                   when s.rn > 1 then 'products.superseded' end as rule,
              case when s.product_id is null then format('prd_id %L is empty or not an integer', s.prd_id)
                   when s.key_text is null or length(s.key_text) < 7 then format('prd_key %L is not <category>-<number>', s.prd_key)
                   when s.rn > 1 then format('product %s appears again later in the run', s.product_id) end as reason
       ) r
 where r.rule is not null
on conflict (file_id, line, stage, rule) do nothing;

insert into silver.products as t (product_id, category_id, product_number, product_name, cost, product_line,
                                  start_date, _file_id, _line, _run_id)
select s.product_id, s.category_id, s.product_number, s.product_name, s.cost, s.product_line, s.start_date,
       s._file_id, s._line, meta.ctx_run_id()
  from stg_products s
 where s.product_id is not null and s.key_text is not null and length(s.key_text) >= 7 and s.rn = 1
on conflict (product_id) do update
   set category_id = excluded.category_id, product_number = excluded.product_number,
       product_name = excluded.product_name, cost = excluded.cost, product_line = excluded.product_line,
       start_date = excluded.start_date, _file_id = excluded._file_id, _line = excluded._line,
       _run_id = excluded._run_id, _updated_at = now()
 where (t.category_id, t.product_number, t.product_name, t.cost, t.product_line, t.start_date)
       is distinct from
       (excluded.category_id, excluded.product_number, excluded.product_name, excluded.cost,
        excluded.product_line, excluded.start_date);

-- End dates follow from the versions of each product number touched by this run.
update silver.products p
   set end_date = n.end_date, _run_id = meta.ctx_run_id(), _updated_at = now()
  from (select product_id,
               lead(start_date) over (partition by product_number order by start_date nulls first, product_id) - 1 as end_date
          from silver.products
         where product_number in (select product_number from stg_products)) n
 where n.product_id = p.product_id and p.end_date is distinct from n.end_date;

-- Gold reads this table next in another transaction: give the planner its new size.
analyze silver.products (product_id, product_number, category_id);

select (select count(*) from silver.products where _run_id = meta.ctx_run_id()) as rows_changed;
