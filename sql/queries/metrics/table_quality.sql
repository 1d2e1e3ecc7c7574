-- table_quality.sql
-- Purpose: the quality gauge of /metrics — per table, the share of the rows of the latest finished
-- run that passed every check: bronze.<source> = loaded ÷ read (structural rejects fail),
-- silver.<entity> = 1 − silver rejects ÷ bronze rows loaded for that source in that run.
-- Tables the run did not touch keep the figure of the last run that did.
with touched as (
  select distinct on (f.source) f.source, rf.run_id
    from meta.run_files rf
    join meta.files f on f.file_id = rf.file_id
    join meta.runs r on r.run_id = rf.run_id
   where rf.role = 'load' and r.finished_at is not null
   order by f.source, r.finished_at desc
), bronze as (
  select t.source, t.run_id,
         coalesce(sum(c.rows_read), 0) as rows_read,
         coalesce(sum(c.rows_loaded), 0) as rows_loaded
    from touched t
    join meta.run_files rf on rf.run_id = t.run_id and rf.role = 'load'
    join meta.files f on f.file_id = rf.file_id and f.source = t.source
    join meta.chunks c on c.file_id = f.file_id
   group by t.source, t.run_id
), silver_rejects as (
  select b.source, count(q.*) as n
    from bronze b
    left join quarantine.rejects q on q.run_id = b.run_id and q.source = b.source and q.stage = 'silver'
   group by b.source
)
select 'bronze' as layer, 'bronze.' || b.source as "table",
       case when b.rows_read = 0 then 1 else b.rows_loaded::float8 / b.rows_read end as value
  from bronze b
union all
select 'silver', 'silver.' || ($1::jsonb ->> b.source),
       case when b.rows_loaded = 0 then 1 else greatest(0, 1 - s.n::float8 / b.rows_loaded) end
  from bronze b join silver_rejects s using (source)
 where $1::jsonb ? b.source;
