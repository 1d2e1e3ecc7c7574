import type pg from 'pg';
import type { ModelScore, RuleResult } from './runner';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Writes a step's expectation results and model scores for the run (a retried step overwrites its own). */
export async function storeQuality(db: Queryable, runId: number, items: (RuleResult | ModelScore)[]): Promise<void> {
  for (const item of items) {
    if ('rule' in item) {
      await db.query(
        `insert into meta.quality_results (run_id, layer, model, rule, rows_checked, rows_failed, threshold, action, outcome, sample_keys)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (run_id, layer, model, rule) do update
           set rows_checked = excluded.rows_checked, rows_failed = excluded.rows_failed, threshold = excluded.threshold,
               action = excluded.action, outcome = excluded.outcome, sample_keys = excluded.sample_keys, checked_at = now()`,
        [runId, item.layer, item.model, item.rule, item.rowsChecked, item.rowsFailed, item.threshold, item.action, item.outcome, JSON.stringify(item.sampleKeys)],
      );
    } else {
      await db.query(
        `insert into meta.quality_scores (run_id, layer, model, rows_checked, rows_passed, score)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (run_id, layer, model) do update
           set rows_checked = excluded.rows_checked, rows_passed = excluded.rows_passed, score = excluded.score, checked_at = now()`,
        [runId, item.layer, item.model, item.rowsChecked, item.rowsPassed, item.score],
      );
    }
  }
}
