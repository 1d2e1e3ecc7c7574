-- checks/bronze_rows_conserved.sql
-- Purpose: per file of the run, rows read (counted by the chunker before loading) = rows in bronze
-- + rows rejected by bronze, and every chunk is loaded. Counted independently of the loader.
-- Inputs: $1 run_id, $2 the ids of the run's files to load (bigint[]: a constant to the planner,
-- so that each bronze table is read in those files' partitions alone, migration 023; a join or a
-- subquery by file would plan and lock every partition of every file ever loaded).
-- Output: one row (passed, detail).
with files as (
  select f.file_id, f.source, f.path, f.rows_planned,
         (select count(*) from meta.chunks c where c.file_id = f.file_id and c.status <> 'loaded') as pending_chunks,
         (select count(*) from quarantine.rejects r where r.file_id = f.file_id and r.stage = 'bronze') as rejected
    from meta.files f
    join meta.run_files rf on rf.file_id = f.file_id and rf.run_id = $1 and rf.role = 'load'
), in_bronze as (
            select 'crm_cust_info' as source, _file_id, count(*) as n from bronze.crm_cust_info where _file_id = any($2::bigint[]) group by _file_id
  union all select 'crm_prd_info', _file_id, count(*) from bronze.crm_prd_info where _file_id = any($2::bigint[]) group by _file_id
  union all select 'crm_sales_details', _file_id, count(*) from bronze.crm_sales_details where _file_id = any($2::bigint[]) group by _file_id
  union all select 'erp_cust_az12', _file_id, count(*) from bronze.erp_cust_az12 where _file_id = any($2::bigint[]) group by _file_id
  union all select 'erp_loc_a101', _file_id, count(*) from bronze.erp_loc_a101 where _file_id = any($2::bigint[]) group by _file_id
  union all select 'erp_px_cat_g1v2', _file_id, count(*) from bronze.erp_px_cat_g1v2 where _file_id = any($2::bigint[]) group by _file_id
), counted as materialized (  -- once: inlined, each use of `loaded` below counted the bronze rows again
                              -- (seed scale, a first load: 4.3 s and 4.5 core-s, against 1.9 s and 1.9)
  select f.*, coalesce((select b.n from in_bronze b where b._file_id = f.file_id and b.source = f.source), 0) as loaded
    from files f
)
select coalesce(bool_and(rows_planned = loaded + rejected and pending_chunks = 0), true) as passed,
       jsonb_build_object('files', count(*),
         'mismatches', coalesce(jsonb_agg(jsonb_build_object('file', path, 'read', rows_planned, 'loaded', loaded,
                                  'rejected', rejected, 'pendingChunks', pending_chunks))
                         filter (where rows_planned <> loaded + rejected or pending_chunks > 0), '[]')) as detail
  from counted
