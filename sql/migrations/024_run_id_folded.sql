-- 024_run_id_folded.sql
-- Purpose: meta.ctx_run_id() is declared immutable, as migration 023 did for meta.ctx_file_ids(),
-- so that the planner folds the run's id into a constant when it plans a statement. A stable
-- function in a filter is evaluated again for every row it filters (`_run_id = meta.ctx_run_id()`:
-- 0.65 s per 7.5 M order lines), and the planner estimates it as any one of the column's values
-- (a small day's lines in silver.sales priced as half the table), where a constant is priced
-- from the column's statistics. Safe for the reasons migration 023 gives: every statement that
-- calls it (the SQL files, the quality checks, the views the stream readers copy from) is planned
-- after the step has set the run context; no plpgsql function or named prepared statement calls it.

alter function meta.ctx_run_id() immutable;
