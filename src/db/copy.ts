import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Streams `source` into `COPY … FROM STDIN` and returns the rows PostgreSQL reports loaded. */
export async function copyIn(client: pg.ClientBase, copySql: string, source: Readable | Iterable<Buffer>): Promise<number> {
  const sink = client.query(copyFrom(copySql));
  await pipeline(source instanceof Readable ? source : Readable.from(source), sink);
  return sink.rowCount ?? 0;
}
