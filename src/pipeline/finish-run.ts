import type { Pool } from '../db/pool';
import { redact } from '../errors/redact';
import { runChecks, type ChecksAhead } from './checks';
import { buildSummary } from './summary';

/**
 * Ends a run whose gold step succeeded: checks the invariants and sets the final status —
 * succeeded, partially_failed (some files refused) or failed (a check failed). `opts.ahead`: the
 * checks started beside the gold step (startChecks: bronze's, the dimensions').
 */
export async function finishRun(pool: Pool, runId: number, opts: { ahead?: readonly ChecksAhead[] } = {}): Promise<void> {
  const checks = await runChecks(pool, runId, opts);
  const failed = checks.filter((c) => !c.passed).map((c) => c.name);
  const refused = await pool.query<{ n: number }>(`select count(*)::int as n from meta.run_files where run_id = $1 and role = 'refused'`, [runId]);
  const refusedCount = refused.rows[0]?.n ?? 0;
  const status = failed.length > 0 ? 'failed' : refusedCount > 0 ? 'partially_failed' : 'succeeded';
  const message =
    failed.length > 0
      ? `checks failed: ${failed.join(', ')}`
      : refusedCount > 0
        ? `${refusedCount} file(s) refused; the rest loaded`
        : 'all files loaded; every check passed';
  await pool.query(`update meta.runs set status = $2, message = $3, finished_at = now() where run_id = $1`, [runId, status, message]);
  const summary = await buildSummary(pool, runId);
  await pool.query('update meta.runs set summary = $2 where run_id = $1', [runId, JSON.stringify(summary)]);
}

/**
 * A parent that fails because a child failed says only "child … failed"; the child's own failure
 * names the cause. Whichever arrives first, the run keeps the cause.
 */
const PROPAGATED = /(^|failed: )child \S+ failed$/;

/** True when a job's failedReason says a child failed it (failParentOnFailure), not its own work. */
export function failedByChild(reason: string | undefined): boolean {
  return reason !== undefined && PROPAGATED.test(reason);
}

/** Marks a run failed (a job failed for good); the first root cause stays. */
export async function failRun(pool: Pool, runId: number, message: string): Promise<void> {
  const text = redact(message);
  await pool.query(
    `update meta.runs set status = 'failed', message = $2, finished_at = coalesce(finished_at, now())
      where run_id = $1
        and (status in ('pending', 'running')
             or (status = 'failed' and not $3 and message ~ $4))`,
    [runId, text, PROPAGATED.test(text), PROPAGATED.source],
  );
}

/** A failed run is being retried: running again, its old failure message cleared. */
export async function markRunResumed(pool: Pool, runId: number, message: string): Promise<void> {
  await pool.query(
    `update meta.runs set status = 'running', message = $2, finished_at = null
      where run_id = $1 and status in ('failed', 'partially_failed')`,
    [runId, message],
  );
}
