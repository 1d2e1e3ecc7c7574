-- 008_quality_results.sql
-- Purpose: what the expectations of sql/<layer>/expectations.yml found, per run — one row per
-- rule (rows checked, rows failing, the action taken, sample keys), and the score of each table
-- per run (share of the checked rows that passed every row-level rule): the quality trend.
create table meta.quality_results (
  run_id        bigint not null references meta.runs,
  layer         text not null check (layer in ('silver', 'gold')),
  model         text not null,
  rule          text not null,
  rows_checked  bigint not null,
  rows_failed   bigint not null,
  threshold     numeric,
  action        text not null check (action in ('warn', 'drop', 'fail')),
  -- What was done: none (all passed), warned, dropped, failed (the step rolled back).
  outcome       text not null check (outcome in ('passed', 'warned', 'dropped', 'failed')),
  sample_keys   jsonb not null default '[]',
  checked_at    timestamptz not null default now(),
  primary key (run_id, layer, model, rule)
);

create table meta.quality_scores (
  run_id        bigint not null references meta.runs,
  layer         text not null,
  model         text not null,
  rows_checked  bigint not null,
  rows_passed   bigint not null,
  score         numeric(6, 5) not null check (score between 0 and 1),
  checked_at    timestamptz not null default now(),
  primary key (run_id, layer, model)
);
