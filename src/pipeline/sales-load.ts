import type pg from 'pg';
import { DEFAULTS } from '../config/defaults';
import { FlagStripper, type FlagTally } from '../db/copy-flags';
import { freeConnections, type Pool } from '../db/pool';
import { runScript } from './run-script';
import { streamIntoEmptyTable } from './stream-load';

/** silver.sales columns that meta.run_sales_image fills, in its order (_updated_at takes its default). */
const SALES_COLUMNS = [
  'order_number', 'product_number', 'customer_id', 'order_date', 'ship_date', 'due_date',
  'sales_amount', 'quantity', 'price', '_file_id', '_line', '_run_id',
] as const;

/** _parse_flags bit of a line without order number or product number (migration 020). */
const KEYLESS_BIT = 14;

export interface SalesLoad {
  /** 'stream': an empty silver.sales loaded by COPY from a second connection; 'upsert': sql/silver/sales.sql. */
  path: 'stream' | 'upsert';
  /** The last row of sql/silver/sales_keys_and_rejects.sql (rows_changed). */
  result: Record<string, unknown> | undefined;
  /** On the stream path: the streamed lines' parse flags (every line of the run's files), for the source contract's type checks. */
  streamed?: FlagTally;
}

/**
 * The order lines' silver SQL, on `client` inside the step's transaction (run context and run
 * files set). An empty silver.sales (a first load, a backfill) is loaded in bulk: a second
 * pooled connection, set up by `prepareReader` as the step's own, streams meta.run_sales_image
 * (migrations 019, 020) into it, and sql/silver/sales_streamed.sql stages only the lines without
 * a key (which the COPY drops), and only when the stream saw any. Otherwise, or without a free
 * connection, sql/silver/sales.sql stages every line and updates and inserts. Both end with
 * sql/silver/sales_keys_and_rejects.sql (the key, repeated lines, rejects) and give the same
 * silver rows, rejects and type counts (tests/integration/sales-load.test.ts). Seed scale,
 * 7.5 M lines, the whole step profiled in turn on the same data: 90.8 and 94.1 s staged, 67.2
 * and 72.7 s streamed. `opts.readWorkers`: the reading connection's parallel workers
 * (METALAYER_SALES_READ_WORKERS; DEFAULTS.salesReadWorkers when not given).
 */
export async function loadSales(
  pool: Pool,
  client: pg.ClientBase,
  prepareReader: (reader: pg.ClientBase) => Promise<void>,
  opts: { stream?: boolean; readWorkers?: number } = {},
): Promise<SalesLoad> {
  const label = 'silver step sales';
  let streamed: FlagTally | undefined;
  if (opts.stream !== false && freeConnections(pool) > 0 && (await isEmpty(client))) {
    const flags = new FlagStripper();
    await streamIntoEmptyTable(pool, client, {
      table: { schema: 'silver', name: 'sales' },
      columns: SALES_COLUMNS,
      query: 'select * from meta.run_sales_image',
      where: 'order_number is not null and product_number is not null', // the lines without a key stay out (bit 14)
      prepare: async (reader) => {
        await prepareReader(reader);
        // One process by default (readWorkers 0): the step runs beside the bronze loads, the other
        // silver steps and the gold dimensions, on cores they keep busy, where two processes run
        // at 1.6-1.8 x one and parallel workers cost more CPU than they save (the read alone:
        // 22.2 core-s serially, 25.0-30.8 with two workers). Seed first loads in turn on two
        // cores, four pairs: 2.1-9.4 s and 4-23 busy core-s less per run without them
        // (bench/HISTORY.md, 2026-12-05, sixth session).
        await reader.query(`select set_config('max_parallel_workers_per_gather', $1, true)`, [String(opts.readWorkers ?? DEFAULTS.salesReadWorkers)]);
      },
      via: flags, // strips _parse_flags, the image's last column, and counts its bits
      what: `${label} (streaming meta.run_sales_image into silver.sales)`,
    });
    streamed = flags.tally;
    // sql/silver/sales_streamed.sql stages the lines without a key, when the tally saw any.
    await client.query(`select set_config('metalayer.keyless_lines', $1, true)`, [String(streamed.bits[KEYLESS_BIT])]);
    await runScript(client, 'silver/sales_streamed.sql', label);
  } else {
    await runScript(client, 'silver/sales.sql', label);
  }
  const result = await runScript(client, 'silver/sales_keys_and_rejects.sql', label);
  return { path: streamed ? 'stream' : 'upsert', result, streamed };
}

async function isEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>('select not exists (select 1 from silver.sales) as empty');
  return rows[0]!.empty;
}
