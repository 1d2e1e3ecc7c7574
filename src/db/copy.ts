import { Readable, Transform, type TransformCallback } from 'node:stream';
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
 * the reading query and the writing run on two database cores at once), through `via` when given
 * (a transform of the COPY data, e.g. FlagStripper). Returns the rows loaded.
 * On an error the reader's connection is mid-COPY: the caller must close it, not reuse it.
 */
export async function copyBetween(reader: pg.ClientBase, readSql: string, writer: pg.ClientBase, writeSql: string, via?: Transform): Promise<number> {
  const source = reader.query(copyTo(readSql));
  const sink = writer.query(copyFrom(writeSql));
  await (via ? pipeline(source, via, new Coalescer(), sink) : pipeline(source, new Coalescer(), sink));
  return sink.rowCount ?? 0;
}

/** Bytes gathered before one write to the writing connection. */
const COALESCE_BYTES = 1 << 20;

/**
 * Gathers small chunks into writes of about 1 MiB. COPY … TO STDOUT arrives in the socket's reads
 * (about 11 KB each, a row per protocol message), and COPY … FROM STDIN sends each chunk it gets
 * as two socket writes: 7.5 M order lines (1 GB) made 186 k writes, 5 s of this process's CPU on
 * a 2-core machine that the database needs.
 */
class Coalescer extends Transform {
  private parts: Buffer[] = [];
  private size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= COALESCE_BYTES) this.release();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.size > 0) this.release();
    done();
  }

  private release(): void {
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
  }
}
