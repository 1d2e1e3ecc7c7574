-- source_last_loaded.sql
-- Purpose: freshness per source for /metrics — when a chunk of a file of each source was last
-- loaded into bronze.
select f.source, extract(epoch from max(c.loaded_at))::float8 as value
  from meta.chunks c join meta.files f on f.file_id = c.file_id
 where c.status = 'loaded'
 group by f.source;
