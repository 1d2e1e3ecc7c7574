import type pg from 'pg';
import { DEFAULTS } from '../config/defaults';
import { tallyOfFlags, type FlagTally } from '../quality/contract-types';
import { runScript, runScriptResults } from './run-script';

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
 * 020), whose read may run in parallel (`opts.readWorkers` processes besides the step's own:
 * METALAYER_SALES_READ_WORKERS, DEFAULTS.salesReadWorkers when not given), made the parent's
 * partition by sql/silver/sales_keys_and_rejects.sql. Otherwise sql/silver/sales.sql stages every
 * line and updates and inserts. Both give the same silver rows, rejects and type counts
 * (tests/integration/sales-load.test.ts). `opts.whole: false` takes the upsert path always.
 */
export async function loadSales(client: pg.ClientBase, opts: { whole?: boolean; readWorkers?: number } = {}): Promise<SalesLoad> {
  const label = 'silver step sales';
  let tally: FlagTally | undefined;
  if (opts.whole !== false && (await isEmpty(client))) {
    await setWholeLoadReadSettings(client, opts.readWorkers);
    const results = await runScriptResults(client, 'silver/sales_first_load.sql', label);
    tally = tallyOfFlags(results.at(-1)!.rows as { flags: number; lines: string }[]);
    await resetWholeLoadReadSettings(client);
  } else {
    await runScript(client, 'silver/sales.sql', label);
  }
  const result = await runScript(client, 'silver/sales_keys_and_rejects.sql', label);
  return { path: tally ? 'swap' : 'upsert', result, tally };
}

/**
 * The settings of sql/silver/sales_first_load.sql's read, for the rest of the transaction: its
 * parallel workers (`readWorkers`, DEFAULTS.salesReadWorkers when not given), and rows handed from
 * them to the step's process priced as in gold (applyStepSettings): at the default a read that
 * returns every line never goes parallel. resetWholeLoadReadSettings puts both back.
 */
export async function setWholeLoadReadSettings(client: pg.ClientBase, readWorkers?: number): Promise<void> {
  await client.query(`select set_config('max_parallel_workers_per_gather', $1, true), set_config('parallel_tuple_cost', '0.01', true)`, [
    String(readWorkers ?? DEFAULTS.salesReadWorkers),
  ]);
}

export async function resetWholeLoadReadSettings(client: pg.ClientBase): Promise<void> {
  await client.query(
    `select set_config(name, reset_val, true) from pg_settings where name in ('max_parallel_workers_per_gather', 'parallel_tuple_cost')`,
  );
}

async function isEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>('select not exists (select 1 from silver.sales) as empty');
  return rows[0]!.empty;
}
