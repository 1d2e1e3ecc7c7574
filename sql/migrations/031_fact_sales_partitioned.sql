-- 031_fact_sales_partitioned.sql
-- Purpose: lets a first load build its facts as a table of their own, with a parallel read, and
-- put them in place whole. gold.fact_sales becomes a parent partitioned by list of order number
-- with one partition only, its default, gold.fact_sales_rows, which holds every fact: reads,
-- writes and keys go through the parent as before (the planner reads the one partition
-- directly). A first load (sql/gold/fact_sales_first_load.sql) creates the facts with CREATE
-- TABLE AS, whose read may run in parallel where an INSERT … SELECT or a COPY's query may not,
-- drops the empty partition and attaches the new table as the default: with no other partition
-- there is nothing to validate, and the attach builds the parent's indexes on it (the keys and
-- indexes are defined here only, on the parent). Measured at seed scale, alone, in turn: 22.8
-- and 25.1 s and 35–39 core-s against 28.1 and 33.3 s and 47–56 core-s for the COPY stream and
-- index builds it replaces (bench/HISTORY.md, 2026-12-05, eighth session).
-- A partitioned table has no storage and no row counters of its own: the helpers that read them
-- (meta.table_changes, meta.analyze_if_stale, meta.summarize_new_ranges) read its partitions'.

alter table gold.fact_sales rename to fact_sales_rows;
alter table gold.fact_sales_rows rename constraint fact_sales_pkey to fact_sales_rows_pkey;
alter index gold.fact_sales_customer_idx rename to fact_sales_rows_customer_id_idx;
alter index gold.fact_sales_date_idx rename to fact_sales_rows_order_date_key_idx;
alter index gold.fact_sales_no_customer_idx rename to fact_sales_rows_customer_id_idx1;
alter index gold.fact_sales_run_idx rename to fact_sales_rows__run_id_idx;

create table gold.fact_sales (like gold.fact_sales_rows including defaults including constraints)
  partition by list (order_number);
alter table gold.fact_sales add constraint fact_sales_pkey primary key (order_number, product_number);
create index fact_sales_customer_idx on gold.fact_sales (customer_id);
create index fact_sales_date_idx on gold.fact_sales (order_date_key);
create index fact_sales_no_customer_idx on gold.fact_sales (customer_id) where customer_key is null;
create index fact_sales_run_idx on gold.fact_sales using brin (_run_id int8_minmax_multi_ops);
-- The existing facts stay where they are: their indexes match the parent's and are attached, not built.
alter table gold.fact_sales attach partition gold.fact_sales_rows default;
-- The parent's own statistics (of all its partitions): joins through it are estimated by them.
analyze gold.fact_sales;

-- The tables that hold a table's rows: its leaf partitions, or itself when it is not partitioned
-- (pg_partition_tree gives no row for a plain table).
create function meta.storage_tables(target regclass) returns setof regclass language sql stable as $$
  select p.relid from pg_partition_tree(target) p where p.isleaf
  union all
  select target where not exists (select 1 from pg_partition_tree(target))
$$;

-- Rows written, updated and deleted in the table, or in its partitions when it has them.
create or replace function meta.table_changes(target regclass) returns bigint language sql stable as $$
  select coalesce(sum(coalesce((select n_tup_ins + n_tup_upd + n_tup_del from pg_stat_all_tables s where s.relid = t.relid), 0)
                      + pg_stat_get_xact_tuples_inserted(t.relid) + pg_stat_get_xact_tuples_updated(t.relid)
                      + pg_stat_get_xact_tuples_deleted(t.relid)), 0)::bigint
    from meta.storage_tables(target) as t(relid)
$$;

-- The storage a table's rows are in: its own file node, or the newest of its partitions' (a
-- partition swapped in has a new one). meta.analyze_if_stale analyses again when it changes.
create function meta.storage_node(target regclass) returns oid language sql stable as $$
  select max(c.relfilenode) from meta.storage_tables(target) as t(relid) join pg_class c on c.oid = t.relid
$$;

-- As in migration 022, with the storage of a partitioned table read from its partitions.
create or replace function meta.analyze_if_stale(target regclass, variadic columns text[] default '{}') returns boolean
language plpgsql volatile as $$
declare
  tuples real := (select reltuples from pg_class where oid = target);
  node oid := meta.storage_node(target);
  changes bigint := meta.table_changes(target);
  seen meta.analysed_tables := (select a from meta.analysed_tables a where a.relid = target);
begin
  if tuples >= 0 and seen.relfilenode = node
     and changes >= seen.changes_at and (changes - seen.changes_at) * 10 < tuples then
    return false;
  end if;
  if cardinality(columns) = 0 then
    execute format('analyze %s', target);
  else
    execute format('analyze %s (%s)', target, (select string_agg(quote_ident(c), ', ') from unnest(columns) c));
  end if;
  insert into meta.analysed_tables (relid, changes_at, relfilenode) values (target, changes, node)
  on conflict (relid) do update
    set changes_at = excluded.changes_at, relfilenode = excluded.relfilenode, analysed_at = clock_timestamp();
  return true;
end $$;

-- As in migration 027, over the BRIN indexes of the table's partitions when it has them.
create or replace function meta.summarize_new_ranges(tbl regclass) returns bigint language plpgsql volatile as $$
declare
  idx regclass;
  n bigint := 0;
begin
  for idx in
    select i.indexrelid::regclass
      from pg_index i
      join pg_class c on c.oid = i.indexrelid
      join pg_am a on a.oid = c.relam
     where i.indrelid in (select t.relid from meta.storage_tables(tbl) as t(relid))
       and a.amname = 'brin' and c.relkind = 'i'
  loop
    n := n + brin_summarize_new_values(idx);
  end loop;
  return n;
end $$;
