-- table_quality.sql
-- Purpose: the quality gauge of /metrics — per table, the share of the rows of the latest run
-- that touched it which passed every check:
--   bronze.<source>: rows loaded ÷ rows read (structural rejects fail);
--   silver.<model>, gold.<model>: the model's score in meta.quality_scores (share of the checked
--   rows passing every row-level expectation), from the latest run that scored it.
with touched as (
  select distinct on (f.source) f.source, rf.run_id
    from meta.run_files rf
    join meta.files f on f.file_id = rf.file_id
    join meta.runs r on r.run_id = rf.run_id
   where rf.role = 'load' and r.finished_at is not null
   order by f.source, r.finished_at desc
), bronze as (
  select t.source,
         coalesce(sum(c.rows_read), 0) as rows_read,
         coalesce(sum(c.rows_loaded), 0) as rows_loaded
    from touched t
    join meta.run_files rf on rf.run_id = t.run_id and rf.role = 'load'
    join meta.files f on f.file_id = rf.file_id and f.source = t.source
    join meta.chunks c on c.file_id = f.file_id
   group by t.source
), scored as (
  select distinct on (layer, model) layer, model, score
    from meta.quality_scores
   order by layer, model, run_id desc
)
select 'bronze' as layer, 'bronze.' || b.source as "table",
       case when b.rows_read = 0 then 1 else b.rows_loaded::float8 / b.rows_read end as value
  from bronze b
union all
select layer, layer || '.' || model, score::float8 from scored;
