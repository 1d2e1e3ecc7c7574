import type { Pool } from '../db/pool';

const SETTLED = new Set(['succeeded', 'failed', 'partially_failed', 'noop']);

/**
 * Waits until meta.runs says the run has settled, polling. Used where the job graph cannot be
 * awaited: a resumed run's gold job sits in 'failed' until its children are retried.
 */
export async function waitForRunStatus(
  pool: Pool,
  runId: number,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<'finished' | 'timeout'> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ status: string }>('select status from meta.runs where run_id = $1', [runId]);
    if (!rows[0] || SETTLED.has(rows[0].status)) return 'finished';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 250));
  }
}
