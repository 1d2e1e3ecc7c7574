import type pg from 'pg';
import { qualified } from '../db/ident';

/** A file's own partition of its source's bronze table, created at registration (migration 023). */
export function bronzePartition(source: string, fileId: number): string {
  if (!Number.isSafeInteger(fileId) || fileId <= 0) throw new Error(`invalid file id ${fileId}`);
  return qualified('bronze', `${source}_f${fileId}`);
}

/**
 * The table a file's rows are copied into: its own partition, which has no index (a COPY into the
 * parent would route every row through the partition lookup), or, for a file registered before
 * bronze was partitioned, the parent, which routes its rows to the partition of the older files.
 */
export async function bronzeTarget(client: pg.ClientBase, source: string, fileId: number): Promise<string> {
  const own = bronzePartition(source, fileId);
  const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [own]);
  return rows[0]!.exists ? own : qualified('bronze', source);
}
