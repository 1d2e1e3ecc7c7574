import type pg from 'pg';

/**
 * Passes the run's values to set-based SQL as transaction-local settings, read back there with
 * meta.ctx_run_id() and meta.ctx_as_of(). Values travel as bind parameters, never as SQL text,
 * which lets the SQL files under sql/ run as plain multi-statement scripts.
 */
export async function setRunContext(client: pg.ClientBase, ctx: { runId: number; asOf: string }): Promise<void> {
  await client.query(`select set_config('metalayer.run_id', $1, true), set_config('metalayer.as_of', $2, true)`, [
    String(ctx.runId),
    ctx.asOf,
  ]);
}
