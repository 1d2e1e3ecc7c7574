import { withTransaction, type Pool } from '../db/pool';
import { redact } from '../errors/redact';
import type { Logger } from '../logger';

/**
 * Builds the order lines' run index (silver.sales_rows_run_idx, a BRIN on _run_id) when it is
 * missing, on a pooled connection of its own: after a first load, whose silver step attaches its
 * lines without it (migration 039), the run's gold job starts this beside its facts step, which
 * reads every line and leaves a core idle, instead of the silver step's end paying one more serial
 * scan of every line (seed scale: 1.4–1.7 s on the run's critical path). Otherwise a catalog
 * lookup. Never rejects: the index is first needed by the next silver step of the order lines,
 * which builds it itself if it is still missing, so a failure here is logged as a warning and
 * the promise resolves to false. Resolves to true when it built the index.
 */
export function startSalesRunIndex(pool: Pool, logger: Pick<Logger, 'warn'>): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    // Its CPU is the order lines' silver work (pg_stat_activity, and the bench's CPU by step).
    await client.query(`select set_config('application_name', current_setting('application_name') || ' silver/sales', true)`);
    const { rows } = await client.query<{ built: boolean }>('select meta.ensure_silver_sales_run_index() as built');
    return rows[0]!.built;
  }).catch((err: unknown) => {
    logger.warn({ err: redact((err as Error).message) }, 'the order lines\' run index was not built; the next silver step of the order lines builds it');
    return false;
  });
}
