import type pg from 'pg';
import { DEFAULTS } from '../config/defaults';
import { tableIsEmpty } from '../db/empty-table';
import { tallyOfFlags, type FlagTally } from '../quality/contract-types';
import { runScript, runScriptResults } from './run-script';
import { applyWholeLoadSettings } from './whole-load-settings';

export interface SalesLoad {
  /** 'swap': an empty silver.sales's partition built whole and attached (migration 032); 'upsert': sql/silver/sales.sql. */
  path: 'swap' | 'upsert';
  /** The last row of sql/silver/sales_keys_and_rejects.sql (rows_changed). */
  result: Record<string, unknown> | undefined;
  /** On the swap path: every line's parse flags, counted from the table built, for the source contract's type checks. */
  tally?: FlagTally;
}

/**
 * The order lines' silver SQL, on `client` inside the step's transaction (run context and run
 * files set). An empty silver.sales (a first load, a backfill) is built whole
 * (sql/silver/sales_first_load.sql): CREATE TABLE AS of meta.run_sales_image (migrations 019,
 * 020), whose read may run in parallel (`opts.readWorkers` processes besides the step's own, which
 * only writes: METALAYER_SALES_READ_WORKERS, DEFAULTS.salesReadWorkers when not given;
 * src/pipeline/whole-load-settings.ts), made the parent's
 * partition by sql/silver/sales_keys_and_rejects.sql. Otherwise sql/silver/sales.sql stages every
 * line and updates and inserts. Both give the same silver rows, rejects and type counts
 * (tests/integration/sales-load.test.ts). `opts.whole: false` takes the upsert path always.
 */
export async function loadSales(client: pg.ClientBase, opts: { whole?: boolean; readWorkers?: number } = {}): Promise<SalesLoad> {
  const label = 'silver step sales';
  let tally: FlagTally | undefined;
  if (opts.whole !== false && (await tableIsEmpty(client, 'silver', 'sales'))) {
    const restore = await applyWholeLoadSettings(client, { readWorkers: opts.readWorkers ?? DEFAULTS.salesReadWorkers });
    const results = await runScriptResults(client, 'silver/sales_first_load.sql', label);
    tally = tallyOfFlags(results.at(-1)!.rows as { flags: number; lines: string }[]);
    await restore();
  } else {
    await runScript(client, 'silver/sales.sql', label);
  }
  const result = await runScript(client, 'silver/sales_keys_and_rejects.sql', label);
  return { path: tally ? 'swap' : 'upsert', result, tally };
}
