-- 013_parallel_safe_context.sql
-- Purpose: let PostgreSQL run the big scans of a step with parallel workers. A query that calls a
-- function marked parallel unsafe (the default) or reads a temp table never gets a parallel plan:
-- the run context functions are made parallel safe (parallel workers receive the leader's
-- settings), and the files a silver step reads are passed as a setting, not a temp table.
-- A step whose files are few also reaches them through the BRIN index on _file_id (an array of
-- constants is an index condition; a join to a temp table was a scan of the whole bronze table).

alter function meta.ctx_run_id() parallel safe;
alter function meta.ctx_as_of() parallel safe;

-- The ids of the files of this run and source that the silver step reads (set by the step runner;
-- empty when unset).
create function meta.ctx_file_ids() returns bigint[] language sql stable parallel safe
  as $$ select coalesce(nullif(current_setting('metalayer.file_ids', true), ''), '{}')::bigint[] $$;
