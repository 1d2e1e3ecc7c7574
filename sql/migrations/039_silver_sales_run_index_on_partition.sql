-- 039_silver_sales_run_index_on_partition.sql
-- Purpose: a first load's order lines attached without building their run index, which is built
-- after the silver step instead, beside the facts step. The run index (a BRIN on _run_id,
-- migration 027) was the parent's (migration 032), so attaching a first load's table built it:
-- one serial scan of every line (seed scale, 7.5 M lines: 1.4–1.7 s) at the end of the order
-- lines' silver step, which runs alone on the run's critical path, for an index that only later
-- runs read (a small day's facts and order lines find the run's lines by _run_id). It is now the
-- partition's own index, silver.sales_rows_run_idx: a first load's new partition has none when it
-- is attached, and the run's gold job builds it (meta.ensure_silver_sales_run_index, from
-- workers/gold.ts) on a connection of its own while the facts step, which reads every line and
-- not by run, leaves a core idle. Any later silver step of the order lines builds it first if it
-- is still missing (sql/silver/sales_keys_and_rejects.sql), e.g. after a gold job that failed:
-- the index is never needed before then.

drop index silver.sales_run_idx;  -- the parent's, with the partition's index attached to it
create index sales_rows_run_idx on silver.sales_rows using brin (_run_id int8_minmax_multi_ops);

-- Builds silver.sales_rows's run index when it is missing; true when it built it. Two callers at
-- once (a run's gold job, the next run's order lines) do not both build it: the second waits for
-- the first's lock, then finds the index. Names are constants, nothing comes from input.
create function meta.ensure_silver_sales_run_index() returns boolean language plpgsql as $$
begin
  if to_regclass('silver.sales_rows_run_idx') is not null then
    return false;
  end if;
  -- Conflicts with itself and with a CREATE INDEX's share lock; readers pass.
  lock table silver.sales_rows in share row exclusive mode;
  if to_regclass('silver.sales_rows_run_idx') is not null then
    return false;
  end if;
  create index sales_rows_run_idx on silver.sales_rows using brin (_run_id int8_minmax_multi_ops);
  return true;
end $$;
comment on function meta.ensure_silver_sales_run_index() is
  'Builds the order lines'' run index (silver.sales_rows_run_idx, a BRIN on _run_id) when missing: after a first load, by the run''s gold job beside its facts step (migration 039).';
