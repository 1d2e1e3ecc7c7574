-- pipeline_runs.sql
-- Purpose: the freshness and run gauges of /metrics: per pipeline, when the last successful run
-- finished and how long the last finished run took (with its status); runs per status.
-- Returns one row per (kind, pipeline, status) with a numeric value.
with last_success as (
  select pipeline, extract(epoch from max(finished_at))::float8 as value
    from meta.runs where status = 'succeeded' group by pipeline
), last_finished as (
  select distinct on (pipeline) pipeline, status,
         extract(epoch from finished_at - coalesce(started_at, created_at))::float8 as value
    from meta.runs where finished_at is not null and status <> 'noop'
   order by pipeline, finished_at desc
)
select 'last_success' as kind, pipeline, null::text as status, value from last_success
union all
select 'last_duration', pipeline, status, value from last_finished
union all
select 'runs', null, status, count(*)::float8 from meta.runs group by status;
