-- 028_dim_customers_run_id.sql
-- Purpose: the customer dimension records the run that last wrote each version (`_run_id`, as
-- every silver table and the facts do), so that its expectations check the versions a run wrote
-- instead of the whole dimension. They read every version in every run (scope: all, for want of
-- a run column): seed scale, a 1 % day, 0.3 s and 0.5 core-s between the dimensions and the facts
-- (the day's critical path) to check 20 k versions out of a million.
-- A run's versions are written together at the end of the table (new ones inserted; a closed or
-- corrected one is an update, whose new row version goes where there is free space: the end,
-- until a vacuum frees space inside), so a BRIN index finds them as the order lines' run index
-- does (migration 027): built by one scan, kept up to date by meta.summarize_new_ranges at the
-- end of the dimensions step. Versions written before this migration keep NULL: no later run's
-- scope holds them; the end-of-run checks (sql/queries/checks) still read every version.

alter table gold.dim_customers add column _run_id bigint;
create index dim_customers_run_idx on gold.dim_customers using brin (_run_id int8_minmax_multi_ops);
