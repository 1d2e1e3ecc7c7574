-- quality_rejects.sql
-- Purpose: /api/quality — rows the run quarantined, counted by source, stage and rule.
select source, stage, rule, count(*)::int as rows, min(line) as first_line
  from quarantine.rejects
 where run_id = $1
 group by source, stage, rule
 order by source, stage, rule;
