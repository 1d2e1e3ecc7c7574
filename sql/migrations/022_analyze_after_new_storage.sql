-- 022_analyze_after_new_storage.sql
-- Purpose: meta.analyze_if_stale (migration 021) also analyses a table whose storage was replaced
-- since our last analyse: TRUNCATE (the streamed first loads empty their table that way), VACUUM
-- FULL, CLUSTER. Migration 021 told an emptied table by reltuples -1, but the index builds of a
-- first load (meta.restore_indexes) set reltuples before the step asks; it then relied on the
-- change counters growing by the reload, which holds unless the statistics were reset in between
-- and the reload brings them back to about the recorded count (a database copied from a template
-- and reloaded: seen in a profile, where the customers' first load skipped its analyse).

alter table meta.analysed_tables add column relfilenode oid;

create or replace function meta.analyze_if_stale(target regclass, variadic columns text[] default '{}') returns boolean
language plpgsql volatile as $$
declare
  rel pg_class := (select c from pg_class c where c.oid = target);
  changes bigint := meta.table_changes(target);
  seen meta.analysed_tables := (select a from meta.analysed_tables a where a.relid = target);
begin
  if rel.reltuples >= 0 and seen.relfilenode = rel.relfilenode
     and changes >= seen.changes_at and (changes - seen.changes_at) * 10 < rel.reltuples then
    return false;
  end if;
  if cardinality(columns) = 0 then
    execute format('analyze %s', target);
  else
    execute format('analyze %s (%s)', target, (select string_agg(quote_ident(c), ', ') from unnest(columns) c));
  end if;
  insert into meta.analysed_tables (relid, changes_at, relfilenode) values (target, changes, rel.relfilenode)
  on conflict (relid) do update
    set changes_at = excluded.changes_at, relfilenode = excluded.relfilenode, analysed_at = clock_timestamp();
  return true;
end $$;
