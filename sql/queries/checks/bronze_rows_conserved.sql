-- checks/bronze_rows_conserved.sql
-- Purpose: per file of the run, rows read (counted by the chunker before loading) = rows in bronze
-- + rows rejected by bronze, and every chunk is loaded. Counted independently of the loader.
-- Inputs: $1 run_id. Output: one row (passed, detail).
with files as (
  select f.file_id, f.source, f.path, f.rows_planned,
         (select count(*) from meta.chunks c where c.file_id = f.file_id and c.status <> 'loaded') as pending_chunks,
         (select count(*) from quarantine.rejects r where r.file_id = f.file_id and r.stage = 'bronze') as rejected
    from meta.files f
    join meta.run_files rf on rf.file_id = f.file_id and rf.run_id = $1 and rf.role = 'load'
), counted as (
  select f.*, (select count(*) from bronze.crm_cust_info b where b._file_id = f.file_id and f.source = 'crm_cust_info')
            + (select count(*) from bronze.crm_prd_info b where b._file_id = f.file_id and f.source = 'crm_prd_info')
            + (select count(*) from bronze.crm_sales_details b where b._file_id = f.file_id and f.source = 'crm_sales_details')
            + (select count(*) from bronze.erp_cust_az12 b where b._file_id = f.file_id and f.source = 'erp_cust_az12')
            + (select count(*) from bronze.erp_loc_a101 b where b._file_id = f.file_id and f.source = 'erp_loc_a101')
            + (select count(*) from bronze.erp_px_cat_g1v2 b where b._file_id = f.file_id and f.source = 'erp_px_cat_g1v2')
              as loaded
    from files f
)
select coalesce(bool_and(rows_planned = loaded + rejected and pending_chunks = 0), true) as passed,
       jsonb_build_object('files', count(*),
         'mismatches', coalesce(jsonb_agg(jsonb_build_object('file', path, 'read', rows_planned, 'loaded', loaded,
                                  'rejected', rejected, 'pendingChunks', pending_chunks))
                         filter (where rows_planned <> loaded + rejected or pending_chunks > 0), '[]')) as detail
  from counted
