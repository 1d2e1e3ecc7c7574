-- runs_list.sql
-- Purpose: /api/runs — the most recent runs, newest first. $1 = how many.
select run_id, pipeline, status, as_of, input_dir, message, created_at, started_at, finished_at,
       (extract(epoch from coalesce(finished_at, now()) - coalesce(started_at, created_at)) * 1000)::bigint as wall_ms
  from meta.runs
 order by run_id desc
 limit $1;
