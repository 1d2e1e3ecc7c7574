import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** Streams `source` into `COPY … FROM STDIN` and returns the rows PostgreSQL reports loaded. */
export async function copyIn(client: pg.ClientBase, copySql: string, source: Readable | Iterable<Buffer>): Promise<number> {
  const sink = client.query(copyFrom(copySql));
  await pipeline(source instanceof Readable ? source : Readable.from(source), sink);
  return sink.rowCount ?? 0;
}

/**
 * Streams `COPY … TO STDOUT` on `reader` into `COPY … FROM STDIN` on `writer` (two connections:
 * the reading query and the writing run on two database cores at once). Returns the rows loaded.
 * On an error the reader's connection is mid-COPY: the caller must close it, not reuse it.
 */
export async function copyBetween(reader: pg.ClientBase, readSql: string, writer: pg.ClientBase, writeSql: string): Promise<number> {
  const source = reader.query(copyTo(readSql));
  const sink = writer.query(copyFrom(writeSql));
  await pipeline(source, sink);
  return sink.rowCount ?? 0;
}
