-- run_files_summary.sql
-- Purpose: per file of a run: its role, and rows read, loaded and rejected in bronze (all chunks).
-- Inputs: $1 run_id. Output: one row per file.
select f.file_id, f.source, f.path, rf.role, f.status, f.error, f.extras,
       coalesce(sum(c.rows_read), 0)::bigint as rows_read,
       coalesce(sum(c.rows_loaded), 0)::bigint as rows_loaded,
       coalesce(sum(c.rows_rejected), 0)::bigint as rows_rejected,
       count(c.chunk_index)::int as chunks,
       count(c.chunk_index) filter (where c.load_path = 'rows')::int as row_path_chunks
  from meta.run_files rf
  join meta.files f on f.file_id = rf.file_id
  left join meta.chunks c on c.file_id = f.file_id
 where rf.run_id = $1
 group by f.file_id, rf.role
 order by f.source, f.path
