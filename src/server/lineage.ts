import { RETAIL_SOURCES } from '../contracts/retail';
import type { Pool } from '../db/pool';
import { qualified, quoteIdent } from '../db/ident';

/** Key columns of each silver table: a lineage request names its row by them. */
export const SILVER_KEYS: Record<string, readonly string[]> = {
  customers: ['customer_id'],
  products: ['product_id'],
  sales: ['order_number', 'product_number'],
  erp_customers: ['cid'],
  locations: ['cid'],
  categories: ['id'],
};

export interface Lineage {
  entity: string;
  key: Record<string, string>;
  silver: Record<string, unknown>;
  file: { fileId: number; path: string; sha256: string; source: string; line: number };
  bronze: Record<string, unknown> | null;
  lastChangedByRun: number;
}

/**
 * Where a silver row came from: the bronze row (file, line, raw values) that supplied its
 * values and the run that last changed it. Identifiers come from SILVER_KEYS and the contracts,
 * never from the request; the key values are parameters.
 */
export async function lineageOf(pool: Pool, entity: string, key: Record<string, string>): Promise<Lineage | null> {
  const keyColumns = SILVER_KEYS[entity];
  const source = RETAIL_SOURCES.find((s) => s.entity === entity);
  if (!keyColumns || !source) throw new RangeError(`unknown entity ${entity}; known: ${Object.keys(SILVER_KEYS).join(', ')}`);
  const missing = keyColumns.filter((c) => key[c] === undefined);
  if (missing.length > 0) throw new RangeError(`name the ${entity} row by ${keyColumns.join(' and ')} (missing ${missing.join(', ')})`);
  const where = keyColumns.map((c, i) => `${quoteIdent(c)}::text = $${i + 1}`).join(' and ');
  const silver = await pool.query(`select * from ${qualified('silver', entity)} where ${where}`, keyColumns.map((c) => key[c]));
  const row = silver.rows[0] as Record<string, unknown> | undefined;
  if (!row) return null;
  const fileId = Number(row._file_id);
  const line = Number(row._line);
  const [file, bronze] = await Promise.all([
    pool.query<{ path: string; sha256: string; source: string }>('select path, sha256, source from meta.files where file_id = $1', [fileId]),
    pool.query(`select * from ${qualified('bronze', source.name)} where _file_id = $1 and _line = $2 limit 1`, [fileId, line]),
  ]);
  const f = file.rows[0];
  return {
    entity,
    key: Object.fromEntries(keyColumns.map((c) => [c, key[c]!])),
    silver: row,
    file: { fileId, line, path: f?.path ?? '', sha256: f?.sha256 ?? '', source: f?.source ?? source.name },
    bronze: (bronze.rows[0] as Record<string, unknown> | undefined) ?? null,
    lastChangedByRun: Number(row._run_id),
  };
}
