-- run_readiness.sql
-- Purpose: what a run still lacks before its silver and gold steps may run — per source, the
-- chunks of the run's files (all, and those still pending in the ledger).
-- Used by the silver/gold guards, by the worker that resumes a failed parent job, and by
-- `metalayer retry`. $1 = run id.
select f.source, count(*)::int as chunks, count(*) filter (where c.status = 'pending')::int as pending_chunks
  from meta.run_files rf
  join meta.files f on f.file_id = rf.file_id
  join meta.chunks c on c.file_id = f.file_id
 where rf.run_id = $1 and rf.role = 'load'
 group by f.source;
