import type pg from 'pg';
import { qualified } from './ident';

/**
 * True when schema.table holds no row: one probe that reads at most one. Whether a whole load
 * builds the table at once (src/pipeline/sales-load.ts, src/pipeline/fact-load.ts).
 */
export async function tableIsEmpty(client: pg.ClientBase, schema: string, table: string): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(`select not exists (select 1 from ${qualified(schema, table)}) as empty`);
  return rows[0]!.empty;
}
