-- run_chunks.sql
-- Purpose: /api/runs/:id — every chunk of the files the run loads, with its ledger state.
select c.file_id, f.source, c.chunk_index, c.first_line, c.records, c.status, c.attempts,
       c.rows_read, c.rows_loaded, c.rows_rejected, c.load_path, c.fallback, c.ms, c.loaded_by_run,
       c.loaded_by, c.loaded_at
  from meta.run_files rf
  join meta.files f on f.file_id = rf.file_id
  join meta.chunks c on c.file_id = rf.file_id
 where rf.run_id = $1 and rf.role = 'load'
 order by c.file_id, c.chunk_index;
