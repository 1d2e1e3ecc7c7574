import type pg from 'pg';
import { freeConnections, type Pool } from '../db/pool';
import { setRunContext } from '../db/run-context';
import { runScript } from './run-script';
import { streamIntoEmptyTable } from './stream-load';

export interface FactLoad {
  /** 'stream': an empty fact table loaded by COPY from a second connection; 'upsert': sql/gold/fact_sales.sql. */
  path: 'stream' | 'upsert';
  /**
   * On the stream path: the model the stream filled (empty before), the silver table its view
   * reads by the run, and the rows it wrote (what the conservation rule can be proven by).
   */
  streamed?: { model: 'fact_sales'; from: 'sales'; loaded: number };
}

/**
 * The fact-table part of the facts step, on `client` inside its transaction (run context set):
 * sql/gold/fact_changes.sql, then the facts, then sql/gold/fact_late_customers.sql.
 *
 * An empty fact table (a first load, a backfill) is loaded in bulk (streamIntoEmptyTable): a
 * second pooled connection streams meta.run_fact_image (migration 015) into this transaction, and
 * the indexes are built again after. The second connection only reads committed silver and
 * dimension rows (the dimensions step committed before). Without a free connection, or with
 * facts already there, sql/gold/fact_sales.sql updates and inserts; both paths give the same
 * facts (tests/integration/fact-load.test.ts).
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
  let loaded: number | undefined;
  if (stream) {
    loaded = await streamIntoEmptyTable(pool, client, {
      table: { schema: 'gold', name: 'fact_sales' },
      query: 'select * from meta.run_fact_image', // in gold.fact_sales column order
      prepare: async (reader) => {
        await settings(reader);
        await setRunContext(reader, ctx);
      },
      what: 'gold model fact_sales (streaming meta.run_fact_image into gold.fact_sales)',
    });
    await client.query(`select meta.restore_indexes('gold.fact_sales')`);
  } else {
    await runScript(client, 'gold/fact_sales.sql', 'gold model fact_sales');
  }
  await runScript(client, 'gold/fact_late_customers.sql', 'gold model fact_sales');
  return loaded === undefined ? { path: 'upsert' } : { path: 'stream', streamed: { model: 'fact_sales', from: 'sales', loaded } };
}
