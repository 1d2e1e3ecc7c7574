-- run_layers_summary.sql
-- Purpose: rows and wall-clock milliseconds per layer of a run. Bronze: rows loaded by the run's
-- chunks, from the first chunk's start (loaded_at − ms) to the last one's end (loaded_at); silver and gold: from meta.steps.
-- Inputs: $1 run_id. Output: one row per layer.
select 'bronze' as layer, coalesce(sum(rows_loaded), 0)::bigint as rows,
       coalesce((extract(epoch from max(loaded_at) - min(loaded_at - make_interval(secs => ms / 1000.0))) * 1000)::int, 0) as ms
  from meta.chunks where loaded_by_run = $1
union all
select layer, coalesce(sum(rows), 0)::bigint,
       coalesce((extract(epoch from max(finished_at) - min(started_at)) * 1000)::int, 0)
  from meta.steps where run_id = $1 group by layer
