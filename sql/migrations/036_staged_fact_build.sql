-- 036_staged_fact_build.sql
-- Purpose: lets a first load build its facts' indexes side by side. A first load's facts
-- (migration 031) were built by CREATE TABLE AS and attached in the facts step's one transaction,
-- and the attach built the parent's five indexes on them one after another: parallel sorts, but
-- each one's merge, the partial index and the BRIN index in one process, so a core stood idle
-- for much of it. Index builds of one table on two connections run side by side (CREATE INDEX
-- takes a SHARE lock, which does not conflict with itself), but only on a committed table. The
-- facts step (src/pipeline/fact-load.ts) now builds a first load's facts in a transaction of its
-- own as staging.fact_sales_load, outside gold, builds the parent's indexes on it on two
-- connections, then, in its transaction, attaches it: the attach finds every index built and
-- builds none. Gold is unchanged until that transaction commits; a failure before leaves at most
-- the staging table, which the next attempt replaces. Seed scale, the five index builds of the
-- 7.5 M facts, three in turn (bench/HISTORY.md, 2026-12-06, fourteenth session): 10.9–11.7 s and
-- 18.7–20.3 busy core-s on two connections without parallel workers, against 14.1–14.7 s and
-- 22.2–23.3 one after another with two workers each.

create schema if not exists staging;
comment on schema staging is
  'Tables a step builds in transactions of its own before it puts them in place in one transaction (src/pipeline/fact-load.ts). Not part of the warehouse: anything here is from a step in progress or one that failed, and the next attempt replaces it.';

-- The run's order lines as the staged build counted them (sql/gold/fact_changes.sql's changed_span),
-- committed with the staged facts, so that the facts step's transaction does not scan the run's
-- lines again for what it already knows (seed scale: 1.2 s, a full scan of 7.5 M lines).
create table staging.fact_sales_span (
  run_id     bigint primary key,
  lines      bigint not null,
  first_day  date,
  last_day   date,
  lo         date,
  hi         date
);

-- The statements that build, on a table staged to become `parent`'s partition `partition_name`
-- (in the parent's schema), an index matching each of the parent's, so that the attach attaches
-- it instead of building one: CREATE INDEX from the parent's definition, and for its primary key
-- (or a unique constraint) a unique index and the statement that makes it the key (ALTER TABLE …
-- ADD PRIMARY KEY would lock the table against the other builds; USING INDEX takes the index
-- built). Each index is named as the partition it replaces names its own (the names stay across
-- swaps), else as the parent's with the partition's table name in place of the parent's. Ordered
-- by likely cost, the dearest first (the primary key, then whole B-trees, then partial ones, then
-- the others), for a queue of lanes to share them evenly. The definitions come from the catalog,
-- not from input.
create function meta.staged_index_builds(parent regclass, stage regclass, partition_name text)
returns table (index_name text, build text, make_key text)
language sql stable as $$
  select n.name,
         format('create %sindex %I on %s using %I %s',
                case when i.indisunique then 'unique ' else '' end, n.name, stage, am.amname,
                substring(pg_get_indexdef(i.indexrelid) from ' USING \S+ (.*)$')),
         case con.contype when 'p' then format('alter table %s add constraint %I primary key using index %I', stage, n.name, n.name)
                          when 'u' then format('alter table %s add constraint %I unique using index %I', stage, n.name, n.name) end
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_am am on am.oid = ic.relam
    join pg_class pc on pc.oid = i.indrelid
    join pg_namespace pn on pn.oid = pc.relnamespace
    left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u')
    -- The index of the partition now in place that is attached to this one of the parent's.
    left join lateral (
      select c.relname
        from pg_inherits h
        join pg_class c on c.oid = h.inhrelid
        join pg_index x on x.indexrelid = c.oid
       where h.inhparent = i.indexrelid
         and x.indrelid = to_regclass(format('%I.%I', pn.nspname, partition_name))) cur on true
   cross join lateral (
     select coalesce(cur.relname,
                     left(partition_name || case when ic.relname like pc.relname || '\_%' then substr(ic.relname, length(pc.relname) + 1)
                                                 else '_' || ic.relname end, 63)) as name) n
   where i.indrelid = parent
   order by i.indisprimary desc, (am.amname = 'btree') desc, (i.indpred is null) desc, ic.relname
$$;
