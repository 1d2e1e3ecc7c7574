-- source_freshness.sql
-- Purpose: freshness per source — when a file of it was last loaded, how old that is, and whether
-- it is late against the source's declared maximum age. $1 = jsonb {source: max age in hours}.
select s.key as source,
       s.value::float8 as max_age_hours,
       l.last_loaded,
       extract(epoch from now() - l.last_loaded)::float8 / 3600 as age_hours,
       (l.last_loaded is null or now() - l.last_loaded > make_interval(hours => s.value::int)) as late,
       l.last_loaded + make_interval(hours => s.value::int) as late_since
  from jsonb_each_text($1::jsonb) s
  left join (
        select f.source, max(c.loaded_at) as last_loaded
          from meta.chunks c join meta.files f on f.file_id = c.file_id
         where c.status = 'loaded'
         group by f.source
       ) l on l.source = s.key
 order by s.key;
