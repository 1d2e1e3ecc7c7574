-- 010_row_scores_and_trend.sql
-- Purpose: the quality score of each checked row that failed at least one expectation (share of
-- its row-level checks it passed; a row not listed passed them all — storing only the failing
-- few keeps this cheap at millions of rows), and the trend of each model's score over runs.
create table meta.row_scores (
  run_id         bigint not null references meta.runs,
  layer          text not null,
  model          text not null,
  row_key        jsonb not null,
  checks_passed  int not null,
  checks_total   int not null,
  score          numeric(4, 3) not null check (score between 0 and 1),
  failed_rules   text[] not null,
  primary key (run_id, layer, model, row_key)
);

create view meta.quality_trend as
select s.layer, s.model, s.run_id, r.as_of, r.finished_at, s.rows_checked, s.rows_passed, s.score,
       s.score - lag(s.score) over (partition by s.layer, s.model order by s.run_id) as change
  from meta.quality_scores s
  join meta.runs r using (run_id);
