-- silver/erp_customers.sql
-- Purpose: ERP customer demographics of the run's files → silver.erp_customers.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.erp_cust_az12 rows of the run's files; meta.ctx_as_of().
-- Outputs: silver.erp_customers, quarantine.rejects. Grain: one row per customer number. Key: cid.
-- Rules: a leading NAS is stripped from CID; a birthdate after the run's as-of date → NULL;
-- gender F/FEMALE → Female, M/MALE → Male, else n/a (trimmed, case-insensitive).

-- Cleaned and ranked in one statement, as locations.sql does: a staging table of its own wrote
-- and read the million rows of a first load once more (seed scale, in turn: 5.1 core-s with it,
-- 3.9 without, the same wall time).
create temp table ranked_erp_customers on commit drop as
select s.*, row_number() over (partition by s.cid_clean collate "C" order by s._file_id desc, s._line desc) as rn
  from (select b.*,
               case when meta.clean_text(b.cid) like 'NAS%' then substr(meta.clean_text(b.cid), 4)
                    else meta.clean_text(b.cid) end                         as cid_clean,
               case when bd.birthdate > meta.ctx_as_of() then null else bd.birthdate end as birthdate,
               bd.birthdate                                                  as bdate_parsed,  -- for the contract's type check
               case upper(btrim(b.gen)) when 'F' then 'Female' when 'FEMALE' then 'Female'
                    when 'M' then 'Male' when 'MALE' then 'Male' else 'n/a' end as gender
          from bronze.erp_cust_az12 b
          left join meta.calendar c on c.iso = b.bdate  -- dates by lookup (migration 006)
          cross join lateral (select coalesce(c.day, meta.try_date(b.bdate)) as birthdate) bd
         where b._file_id = any(meta.ctx_file_ids())) s;  -- the run's files of this source (migration 013)
analyze ranked_erp_customers (cid_clean, rn);  -- only the columns joins and filters use: cheaper

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'erp_cust_az12', s._line, 'silver',
       case when s.cid_clean is null or s.cid_clean = '' then 'erp_customers.cid_not_null' else 'erp_customers.superseded' end,
       case when s.cid_clean is null or s.cid_clean = '' then 'CID is empty'
            else format('CID %s appears again later in the run', s.cid_clean) end,
       jsonb_build_object('cid', s.cid, 'bdate', s.bdate, 'gen', s.gen, '_extra', s._extra)
  from ranked_erp_customers s
 where s.cid_clean is null or s.cid_clean = '' or s.rn > 1
on conflict (file_id, line, stage, rule) do nothing;

-- Update and insert apart, not INSERT … ON CONFLICT (see sales.sql).
update silver.erp_customers t
   set birthdate = s.birthdate, gender = s.gender, _file_id = s._file_id, _line = s._line,
       _run_id = meta.ctx_run_id(), _updated_at = now()
  from ranked_erp_customers s
 where s.rn = 1 and t.cid = s.cid_clean
   and (t.birthdate, t.gender) is distinct from (s.birthdate, s.gender);

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('silver.erp_customers');

insert into silver.erp_customers (cid, birthdate, gender, _file_id, _line, _run_id)
select s.cid_clean, s.birthdate, s.gender, s._file_id, s._line, meta.ctx_run_id()
  from ranked_erp_customers s
 where s.cid_clean <> '' and s.rn = 1
   and not exists (select 1 from silver.erp_customers t where t.cid = s.cid_clean);

select meta.restore_indexes('silver.erp_customers');

-- Gold reads this table next in another transaction: give the planner its new size once a
-- tenth of it changed (migration 021). A small day's rows need no fresh statistics here: the
-- dimensions find them by `_run_id` into a list of touched customers that they analyse before
-- joining (unlike the order lines: sales_keys_and_rejects.sql).
select meta.analyze_if_stale('silver.erp_customers', 'cid', '_run_id');

select (select count(*) from silver.erp_customers where _run_id = meta.ctx_run_id()) as rows_changed;
