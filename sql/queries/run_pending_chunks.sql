-- run_pending_chunks.sql
-- Purpose: the chunks of a run's files that the ledger still holds as pending — what
-- `metalayer retry` must load again. $1 = run id.
select c.file_id, c.chunk_index, f.source
  from meta.run_files rf
  join meta.files f on f.file_id = rf.file_id
  join meta.chunks c on c.file_id = rf.file_id
 where rf.run_id = $1 and rf.role = 'load' and c.status = 'pending'
 order by c.file_id, c.chunk_index;
