-- run_progress.sql
-- Purpose: the CLI's progress bar — chunks of the run's files loaded so far out of all, and the
-- silver and gold steps that succeeded. $1 = run id.
select (select count(*) filter (where c.status = 'loaded')::int
          from meta.run_files rf join meta.chunks c on c.file_id = rf.file_id
         where rf.run_id = $1 and rf.role = 'load') as chunks_loaded,
       (select count(*)::int
          from meta.run_files rf join meta.chunks c on c.file_id = rf.file_id
         where rf.run_id = $1 and rf.role = 'load') as chunks,
       (select count(*)::int from meta.steps where run_id = $1 and layer = 'silver' and status = 'succeeded') as silver_done,
       (select count(*)::int from meta.steps where run_id = $1 and layer = 'gold' and status = 'succeeded') as gold_done;
