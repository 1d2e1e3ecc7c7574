import type { Transform } from 'node:stream';
import type pg from 'pg';
import { copyBetween } from '../db/copy';
import { qualified, quoteIdent } from '../db/ident';
import { discardClient, withClient, type Pool } from '../db/pool';
import { asStepError } from './run-script';

const READER_LOCK_TIMEOUT = '60s';

export interface StreamLoad {
  /** The target, as schema and table (validated and quoted here). */
  table: { schema: string; name: string };
  /** The columns the query's rows fill, in its order (validated and quoted here); all of them, in table order, when not given. */
  columns?: readonly string[];
  /** The read-only query whose rows fill the table, in binary COPY form, e.g. a view's `select *`. */
  query: string;
  /** Sets the reading connection up inside its read-only transaction (settings, run context). */
  prepare: (reader: pg.ClientBase) => Promise<void>;
  /** A condition on the loaded columns, a constant of the caller's code: rows failing it are not written (COPY … WHERE). */
  where?: string;
  /** A transform between the two COPYs (e.g. FlagStripper), when the query returns more than the columns. */
  via?: Transform;
  /** Names the load in an error. */
  what: string;
}

/**
 * Loads an EMPTY table in bulk inside the writer's transaction: its indexes are dropped (migration
 * 011; the caller builds them again, with meta.restore_indexes or meta.try_restore_indexes), and a
 * second pooled connection streams `query` with COPY … TO STDOUT into this transaction's COPY …
 * FROM STDIN (FREEZE). The query's joins and expressions run on the reader's cores while the rows
 * are written on the writer's, and COPY writes rows in batches where INSERT … SELECT writes them
 * one by one. FREEZE writes them frozen and all-visible, as a later VACUUM would leave them, so
 * that the index builds and readers after do not each stop to set hint bits (and write the pages
 * again); it is allowed because the table is truncated in this transaction.
 *
 * The reader only reads committed rows, so the writer stays the only writer and a failure still
 * rolls all of it back. The caller checks that the table is empty and that the pool has a free
 * connection. Returns the rows loaded.
 */
export async function streamIntoEmptyTable(pool: Pool, writer: pg.ClientBase, load: StreamLoad): Promise<number> {
  const table = qualified(load.table.schema, load.table.name);
  const columns = load.columns ? ` (${load.columns.map(quoteIdent).join(', ')})` : '';
  await writer.query('select meta.suspend_indexes($1::regclass)', [table]);
  // Empty already (and locked by the line above): truncated here only so that COPY may FREEZE.
  await writer.query(`truncate ${table}`);
  return withClient(pool, async (reader) => {
    try {
      await reader.query('begin read only');
      // The writer waits on the reader with no lock the database can see: were the reader to wait
      // for a lock the writer holds (a view that read the table being loaded, or rows not yet
      // committed), neither would ever finish. A lock wait that long fails the step instead (retryable).
      await reader.query(`select set_config('lock_timeout', $1, true)`, [READER_LOCK_TIMEOUT]);
      await load.prepare(reader);
      const rows = await copyBetween(reader, `copy (${load.query}) to stdout (format binary)`, writer, `copy ${table}${columns} from stdin (format binary, freeze)${load.where ? ` where ${load.where}` : ''}`, load.via);
      await reader.query('commit');
      return rows;
    } catch (err) {
      // The reader may be mid-COPY: its connection is closed (ending its transaction), not pooled.
      discardClient(reader);
      throw asStepError(err, load.what);
    }
  });
}
