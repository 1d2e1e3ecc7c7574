-- quality_report.sql
-- Purpose: `metalayer quality` and /api/quality — every expectation result of a run, with the
-- score of its model. $1 = run id.
select r.layer, r.model, r.rule, r.rows_checked, r.rows_failed, r.threshold, r.action, r.outcome, r.sample_keys,
       s.score
  from meta.quality_results r
  left join meta.quality_scores s using (run_id, layer, model)
 where r.run_id = $1
 order by r.layer = 'gold', r.model, r.rule;
