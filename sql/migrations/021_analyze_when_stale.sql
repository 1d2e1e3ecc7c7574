-- 021_analyze_when_stale.sql
-- Purpose: a step analyses the big table it just wrote only when its statistics are stale, by
-- autovacuum's rule (analyze_scale_factor 0.1): the rows inserted, updated or deleted since our
-- last ANALYZE of it, this transaction's included, are at least a tenth of the table; or it was
-- never analysed by us, or was emptied (a first load: reltuples -1 after the truncate). A small
-- day used to sample every big table it touched, about 30,000 random pages each (seed scale, a
-- 1 % day: silver.sales 0.3 s, the customer dimension 0.3 s, the facts 0.4 s, silver.customers
-- 0.2 s, most of it on the critical path), to learn nothing new: its run's `_run_id` is outside
-- the statistics either way, which the planner prices as a few rows, what a small batch is.
-- Changes add up across days: the tenth day of 1 % analyses again.
-- Why our own record and not pg_stat_all_tables.n_mod_since_analyze: an ANALYZE of a column
-- list (ours: only the columns that joins and filters use) does not reset that counter.

create table meta.analysed_tables (
  relid      regclass primary key,
  changes_at bigint not null,           -- the table's change counter when we analysed it
  analysed_at timestamptz not null default clock_timestamp()
);

-- The table's rows inserted, updated and deleted so far: the cumulative statistics (flushed at
-- transaction end) plus what this backend has not flushed yet, this transaction's included.
-- May overstate (an aborted change counts), never understate: the error is on the side of
-- analysing. A statistics reset or crash drops the counter below the record: analysed then.
create function meta.table_changes(target regclass) returns bigint language sql stable as $$
  select coalesce((select n_tup_ins + n_tup_upd + n_tup_del from pg_stat_all_tables where relid = target), 0)
       + pg_stat_get_xact_tuples_inserted(target) + pg_stat_get_xact_tuples_updated(target)
       + pg_stat_get_xact_tuples_deleted(target)
$$;

-- Analyses `target` (only `columns`, or all when none are given) when stale; returns whether it did.
create function meta.analyze_if_stale(target regclass, variadic columns text[] default '{}') returns boolean
language plpgsql volatile as $$
declare
  tuples real := (select reltuples from pg_class where oid = target);
  changes bigint := meta.table_changes(target);
  seen bigint := (select changes_at from meta.analysed_tables where relid = target);
begin
  if tuples >= 0 and changes >= seen and (changes - seen) * 10 < tuples then
    return false;
  end if;
  if cardinality(columns) = 0 then
    execute format('analyze %s', target);
  else
    execute format('analyze %s (%s)', target, (select string_agg(quote_ident(c), ', ') from unnest(columns) c));
  end if;
  insert into meta.analysed_tables (relid, changes_at) values (target, changes)
  on conflict (relid) do update set changes_at = excluded.changes_at, analysed_at = excluded.analysed_at;
  return true;
end $$;
