import type pg from 'pg';
import { copyBetween } from '../db/copy';
import { discardClient, freeConnections, withClient, type Pool } from '../db/pool';
import { setRunContext } from '../db/run-context';
import { asStepError, runScript } from './run-script';

/** Reads the run's facts as they must be (migration 015), in gold.fact_sales column order. */
const READ_FACTS = 'copy (select * from meta.run_fact_image) to stdout (format binary)';
// FREEZE: the rows are written frozen and all-visible, as a later VACUUM would leave them, so the
// index builds, the expectations and the aggregates that read them next do not each stop to set
// hint bits (and write the pages again). Allowed because the table was truncated in this transaction.
const WRITE_FACTS = 'copy gold.fact_sales from stdin (format binary, freeze)';
const READER_LOCK_TIMEOUT = '60s';

export interface FactLoad {
  /** 'stream': an empty fact table loaded by COPY from a second connection; 'upsert': sql/gold/fact_sales.sql. */
  path: 'stream' | 'upsert';
}

/**
 * The fact-table part of the facts step, on `client` inside its transaction (run context set):
 * sql/gold/fact_changes.sql, then the facts, then sql/gold/fact_late_customers.sql.
 *
 * An empty fact table (a first load, a backfill) is loaded in bulk: its indexes are dropped
 * (migration 011), a second pooled connection streams meta.run_fact_image into this transaction's
 * COPY … FREEZE, and the indexes are built again. The second connection only reads committed silver and
 * dimension rows (the dimensions step committed before), so the transaction stays the only
 * writer and a failure still rolls all of it back. Without a free connection, or with facts
 * already there, sql/gold/fact_sales.sql updates and inserts; both paths give the same facts
 * (tests/integration/fact-load.test.ts).
 */
export async function loadFacts(
  pool: Pool,
  client: pg.ClientBase,
  ctx: { runId: number; asOf: string },
  settings: (reader: pg.ClientBase) => Promise<void>,
  opts: { stream?: boolean } = {},
): Promise<FactLoad> {
  const changes = await runScript(client, 'gold/fact_changes.sql', 'gold model fact_sales');
  const stream = opts.stream !== false && changes?.facts_before === false && freeConnections(pool) > 0;
  if (stream) {
    await client.query(`select meta.suspend_indexes('gold.fact_sales')`);
    // Empty already (and locked by the line above): truncated here only so that COPY may FREEZE.
    await client.query('truncate gold.fact_sales');
    await streamFacts(pool, client, ctx, settings);
    await client.query(`select meta.restore_indexes('gold.fact_sales')`);
  } else {
    await runScript(client, 'gold/fact_sales.sql', 'gold model fact_sales');
  }
  await runScript(client, 'gold/fact_late_customers.sql', 'gold model fact_sales');
  return { path: stream ? 'stream' : 'upsert' };
}

async function streamFacts(pool: Pool, writer: pg.ClientBase, ctx: { runId: number; asOf: string }, settings: (reader: pg.ClientBase) => Promise<void>): Promise<void> {
  await withClient(pool, async (reader) => {
    try {
      await reader.query('begin read only');
      await settings(reader);
      // The writer waits on the reader with no lock the database can see: were the reader to wait
      // for a lock the writer holds (a view that read the table being loaded, or dimensions not yet
      // committed), neither would ever finish. A lock wait that long fails the step instead (retryable).
      await reader.query(`select set_config('lock_timeout', $1, true)`, [READER_LOCK_TIMEOUT]);
      await setRunContext(reader, ctx);
      await copyBetween(reader, READ_FACTS, writer, WRITE_FACTS);
      await reader.query('commit');
    } catch (err) {
      // The reader may be mid-COPY: its connection is closed (ending its transaction), not pooled.
      discardClient(reader);
      throw asStepError(err, 'gold model fact_sales (streaming meta.run_fact_image into gold.fact_sales)');
    }
  });
}
