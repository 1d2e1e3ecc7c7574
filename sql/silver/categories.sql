-- silver/categories.sql
-- Purpose: ERP product categories of the run's files → silver.categories, values trimmed.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.erp_px_cat_g1v2 rows of the run's files. Outputs: silver.categories, quarantine.rejects.
-- Grain: one row per category id. Key: id.

create temp table stg_categories on commit drop as
select b.*,
       meta.clean_text(b.id)          as id_clean,
       meta.clean_text(b.cat)         as category,
       meta.clean_text(b.subcat)      as subcategory,
       meta.clean_text(b.maintenance) as maintenance_clean,
       row_number() over (partition by meta.clean_text(b.id) order by b._file_id desc, b._line desc) as rn
  from bronze.erp_px_cat_g1v2 b
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)
analyze stg_categories (id_clean, rn);  -- only the columns joins and filters use: cheaper

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'erp_px_cat_g1v2', s._line, 'silver',
       case when s.id_clean is null then 'categories.id_not_null' else 'categories.superseded' end,
       case when s.id_clean is null then 'ID is empty' else format('ID %s appears again later in the run', s.id_clean) end,
       jsonb_build_object('id', s.id, 'cat', s.cat, 'subcat', s.subcat, 'maintenance', s.maintenance, '_extra', s._extra)
  from stg_categories s
 where s.id_clean is null or s.rn > 1
on conflict (file_id, line, stage, rule) do nothing;

insert into silver.categories as t (id, category, subcategory, maintenance, _file_id, _line, _run_id)
select s.id_clean, s.category, s.subcategory, s.maintenance_clean, s._file_id, s._line, meta.ctx_run_id()
  from stg_categories s
 where s.id_clean is not null and s.rn = 1
on conflict (id) do update
   set category = excluded.category, subcategory = excluded.subcategory, maintenance = excluded.maintenance,
       _file_id = excluded._file_id, _line = excluded._line, _run_id = excluded._run_id, _updated_at = now()
 where (t.category, t.subcategory, t.maintenance) is distinct from (excluded.category, excluded.subcategory, excluded.maintenance);

-- Gold reads this table next in another transaction: give the planner its new size.
analyze silver.categories (id);

select (select count(*) from silver.categories where _run_id = meta.ctx_run_id()) as rows_changed;
