-- silver/locations.sql
-- Purpose: ERP customer locations of the run's files → silver.locations.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.erp_loc_a101 rows of the run's files. Outputs: silver.locations, quarantine.rejects.
-- Grain: one row per customer number. Key: cid (hyphens removed).
-- Rules: country DE → Germany, US/USA → United States, blank or NULL → n/a, else trimmed.

create temp table stg_locations on commit drop as
select b.*,
       replace(meta.clean_text(b.cid), '-', '') as cid_clean,
       case when upper(btrim(b.cntry)) = 'DE' then 'Germany'
            when upper(btrim(b.cntry)) in ('US', 'USA') then 'United States'
            when meta.clean_text(b.cntry) is null then 'n/a'
            else meta.clean_text(b.cntry) end  as country,
       row_number() over (partition by replace(meta.clean_text(b.cid), '-', '') collate "C" order by b._file_id desc, b._line desc) as rn
  from bronze.erp_loc_a101 b
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)
analyze stg_locations (cid_clean, rn);  -- only the columns joins and filters use: cheaper

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'erp_loc_a101', s._line, 'silver',
       case when s.cid_clean is null or s.cid_clean = '' then 'locations.cid_not_null' else 'locations.superseded' end,
       case when s.cid_clean is null or s.cid_clean = '' then 'CID is empty'
            else format('CID %s appears again later in the run', s.cid_clean) end,
       jsonb_build_object('cid', s.cid, 'cntry', s.cntry, '_extra', s._extra)
  from stg_locations s
 where s.cid_clean is null or s.cid_clean = '' or s.rn > 1
on conflict (file_id, line, stage, rule) do nothing;

-- Update and insert apart, not INSERT … ON CONFLICT (see sales.sql).
update silver.locations t
   set country = s.country, _file_id = s._file_id, _line = s._line, _run_id = meta.ctx_run_id(), _updated_at = now()
  from stg_locations s
 where s.rn = 1 and t.cid = s.cid_clean and t.country is distinct from s.country;

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('silver.locations');

insert into silver.locations (cid, country, _file_id, _line, _run_id)
select s.cid_clean, s.country, s._file_id, s._line, meta.ctx_run_id()
  from stg_locations s
 where s.cid_clean <> '' and s.rn = 1
   and not exists (select 1 from silver.locations t where t.cid = s.cid_clean);

select meta.restore_indexes('silver.locations');

-- Gold reads this table next in another transaction: give the planner its new size once a
-- tenth of it changed (migration 021). A small day's rows need no fresh statistics here: the
-- dimensions find them by `_run_id` into a list of touched customers that they analyse before
-- joining (unlike the order lines: sales_keys_and_rejects.sql).
select meta.analyze_if_stale('silver.locations', 'cid', '_run_id');

select (select count(*) from silver.locations where _run_id = meta.ctx_run_id()) as rows_changed;
