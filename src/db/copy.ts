import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CopyWriter } from './copy-writer';

/** Streams `source` into `COPY … FROM STDIN` and returns the rows PostgreSQL reports loaded. */
export async function copyIn(client: pg.ClientBase, copySql: string, source: Readable | Iterable<Buffer>): Promise<number> {
  const sink = client.query(copyFrom(copySql));
  await pipeline(source instanceof Readable ? source : Readable.from(source), sink);
  return sink.rowCount ?? 0;
}

/**
 * Streams `COPY … TO STDOUT` on `reader` into `COPY … FROM STDIN` on `writer` (two connections:
 * the reading query and the writing run on two database cores at once), through `via` when given
 * (a transform of the COPY data, e.g. FlagStripper). Returns the rows loaded.
 *
 * The read arrives in the socket's reads (about 11 KB to 64 KB each, a row per protocol message);
 * it is gathered into writes of about 1 MiB, since COPY … FROM STDIN sends each chunk it gets as
 * two socket writes (7.5 M order lines, 1 GB, made 186 k writes: 5 s of this process's CPU on a
 * 2-core machine that the database needs). It is gathered into a CopyWriter's two spare buffers,
 * not into a new buffer per write: seed first loads in turn, three pairs, 84.1–87.5 s and
 * 153.9–159.7 busy core-s against 88.8–91.4 s and 161.5–166.2 (bench/HISTORY.md).
 * On an error the reader's connection is mid-COPY: the caller must close it, not reuse it.
 */
export async function copyBetween(reader: pg.ClientBase, readSql: string, writer: pg.ClientBase, writeSql: string, via?: Transform): Promise<number> {
  const source = reader.query(copyTo(readSql));
  const out = new CopyWriter(writer.query(copyFrom(writeSql)), 2 * GATHER_BYTES);
  const upstream = via ? source.pipe(via) : source;
  if (via) source.on('error', (err) => via.destroy(err));
  let filled = 0;
  try {
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      if (filled + chunk.length > out.spare.length) {
        await out.send(out.spare.subarray(0, filled));
        filled = 0;
      }
      if (chunk.length > out.spare.length) {
        await out.send(chunk); // a read larger than a spare: sent as it came (nobody reuses it)
        continue;
      }
      out.spare.set(chunk, filled);
      filled += chunk.length;
      if (filled >= GATHER_BYTES) {
        await out.send(out.spare.subarray(0, filled));
        filled = 0;
      }
    }
    if (filled > 0) await out.send(out.spare.subarray(0, filled));
    return await out.finish();
  } catch (err) {
    throw out.abort(err);
  }
}

/** Bytes gathered before one write to the writing connection. */
const GATHER_BYTES = 1 << 20;
