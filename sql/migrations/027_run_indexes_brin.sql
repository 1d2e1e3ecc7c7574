-- 027_run_indexes_brin.sql
-- Purpose: the run indexes of the two order-line tables (migration 012) become BRIN indexes.
-- A run's lines are written together, at the end of the table (a first load fills it, a later
-- run appends its new lines and the new versions of the lines it changed), so a block range
-- holds the lines of one run or of a few: a BRIN index finds a run's ranges as a B-tree finds
-- its rows, at a fraction of its cost. Its build is one scan of the table, where the B-tree sorts
-- every row: measured on the 7.5 M facts of a seed warehouse, 1.1–1.2 core-s against 2.5–3.5
-- (and 50 MB of index each, written and logged, against a few pages).
-- minmax-multi, not plain minmax: a range that holds the lines of runs 1 and 9 (space a vacuum
-- freed, filled again) keeps both values, not the interval 1–9, so runs 2–8 do not read it.
-- The customer-keyed silver tables keep their B-trees: they are updated in place across the
-- table by every run, and their indexes are small.

drop index silver.sales_run_idx;
create index sales_run_idx on silver.sales using brin (_run_id int8_minmax_multi_ops);
drop index gold.fact_sales_run_idx;
create index fact_sales_run_idx on gold.fact_sales using brin (_run_id int8_minmax_multi_ops);
-- The planner prices a BRIN scan by the column's correlation with the table's order: without
-- statistics on _run_id (the facts step did not gather them before this migration) it assumes
-- none and scans the whole table instead.
analyze silver.sales (_run_id);
analyze gold.fact_sales (_run_id);

-- A BRIN index summarises a block range when it is built, and again only when asked: rows
-- written later into pages past the last summarised range are found by every scan (an
-- unsummarised range always matches) until a summary covers them. Autovacuum would summarise
-- them eventually; the steps that write these tables call this at their end, so that each run's
-- lines are summarised in the transaction that wrote them (their summary includes them, the
-- writer's own rows being visible to it). Returns how many ranges it summarised.
create function meta.summarize_new_ranges(tbl regclass) returns bigint language plpgsql volatile as $$
declare
  idx regclass;
  n bigint := 0;
begin
  for idx in
    select i.indexrelid::regclass
      from pg_index i
      join pg_class c on c.oid = i.indexrelid
      join pg_am a on a.oid = c.relam
     where i.indrelid = tbl and a.amname = 'brin'
  loop
    n := n + brin_summarize_new_values(idx);
  end loop;
  return n;
end $$;
