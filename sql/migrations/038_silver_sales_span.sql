-- 038_silver_sales_span.sql
-- Purpose: a first load's facts step without a scan of its own of the run's order lines. The
-- facts step begins by counting the run's lines in silver and finding their first and last order
-- day and every date they hold (sql/gold/fact_changes.sql's changed_span: the date dimension's
-- years, the aggregates' pending days, the count the facts are checked against). On a first load
-- that is a full scan of every line (seed scale: 7.5 M lines, 0.75–0.93 s with parallel workers)
-- at the start of a step that runs alone. The order lines' silver step of a first load reads
-- every line already, to count their parse flags (sql/silver/sales_first_load.sql), and now counts
-- these there too, in the same pass, and keeps them here for the facts step.
-- Valid while the run's lines in silver are as that step left them: any later silver step of the
-- order lines empties the table (sql/silver/sales.sql), the first-load step replaces it, a key
-- build that finds repeated lines (and removes some) deletes it
-- (sql/silver/sales_keys_and_rejects.sql), and the facts step's attach, done with it, empties it
-- (sql/gold/fact_sales_attach.sql). Without a row the facts step scans, as before.

create table meta.silver_sales_span (
  run_id     bigint primary key,
  lines      bigint not null,
  first_day  date,
  last_day   date,
  lo         date,
  hi         date
);
comment on table meta.silver_sales_span is
  'The run''s order lines as a first load of silver.sales counted them (how many, their first and last order day, every date they hold), for that run''s facts step (sql/gold/fact_changes.sql). Emptied by any later change to silver.sales.';
