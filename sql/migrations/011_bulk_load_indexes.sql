-- 011_bulk_load_indexes.sql
-- Purpose: a bulk path for a step that fills an EMPTY table (the first load, a backfill): its
-- indexes are dropped before the insert and built once after it, sorted, instead of being
-- maintained row by row. Measured at seed scale, 7.5 M order lines into the fact table: insert
-- with the primary key in place 22.2 s; insert without it, then the key built 11.6 s.
-- Both calls run inside the step's transaction: a failure rolls the drop back with the rest, and
-- readers never see the table without its indexes (they wait on its lock until the commit, which
-- on an empty table costs them nothing). A table that has rows keeps its indexes (returns 0).

-- Drops the indexes of `tbl` (constraint-backed ones through their constraint) when it has no
-- rows, remembering their definitions in a transaction-local temp table. Returns how many.
create function meta.suspend_indexes(tbl regclass) returns int language plpgsql as $$
declare
  r record;
  n int := 0;
  has_rows boolean;
begin
  execute format('select exists (select 1 from %s)', tbl) into has_rows;
  if has_rows then
    return 0;
  end if;
  create temp table if not exists suspended_indexes (tbl regclass, position int, ddl text) on commit drop;
  -- Constraints first (their indexes go with them), then the plain indexes. Definitions come from
  -- the catalog (pg_get_constraintdef / pg_get_indexdef), never from input.
  for r in
    select format('alter table %s add constraint %I %s', tbl, c.conname, pg_get_constraintdef(c.oid)) as ddl,
           format('alter table %s drop constraint %I', tbl, c.conname) as drop_ddl
      from pg_constraint c
     where c.conrelid = tbl and c.contype in ('p', 'u')
  loop
    n := n + 1;
    insert into suspended_indexes values (tbl, n, r.ddl);
    execute r.drop_ddl;
  end loop;
  for r in
    select pg_get_indexdef(i.indexrelid) as ddl, format('drop index %s', i.indexrelid::regclass) as drop_ddl
      from pg_index i
     where i.indrelid = tbl
       and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
  loop
    n := n + 1;
    insert into suspended_indexes values (tbl, n, r.ddl);
    execute r.drop_ddl;
  end loop;
  return n;
end $$;

-- Builds again what meta.suspend_indexes(tbl) dropped in this transaction. Returns how many.
-- A duplicate key fails here, as it would have failed the insert.
create function meta.restore_indexes(tbl regclass) returns int language plpgsql as $$
declare
  r record;
  n int := 0;
begin
  if to_regclass('pg_temp.suspended_indexes') is null then
    return 0;
  end if;
  for r in select ddl from suspended_indexes where suspended_indexes.tbl = restore_indexes.tbl order by position loop
    execute r.ddl;
    n := n + 1;
  end loop;
  delete from suspended_indexes where suspended_indexes.tbl = restore_indexes.tbl;
  return n;
end $$;
