import { open } from 'node:fs/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyWriter, giveBack, takeBuffer } from '../db/copy-writer';
import type { LinePrefixer } from './line-prefixer';

/** Bytes read from the file at a time. */
const READ_BYTES = 1 << 20;
/** A spare buffer's size: a read's bytes and their prefixes (about 1.2 MiB for 1 MiB of order lines). */
const SPARE_BYTES = 2 * READ_BYTES;

/**
 * Streams bytes [start, end) of an uncompressed file into `COPY … FROM STDIN`, each read prefixed
 * by `prefixer` (the fast path's lineage), and returns the rows PostgreSQL reports loaded.
 *
 * Why not a read stream piped through the prefixer: each read allocated a new buffer and the
 * prefixer another, twice the file's bytes in short-lived buffers outside the JavaScript heap,
 * whose accounting made V8 collect the worker's whole heap 25–35 times per worker in a seed
 * bronze load; the worker processes then used 2.1–2.3 core-s each of a 16 core-s, 8.5 s load
 * (bench/HISTORY.md). Here one read buffer, kept between chunks, and a CopyWriter's two spare
 * buffers serve every read. Measured in turn: workers 1.0–1.1 core-s each, the load 7.0–7.3 s.
 */
export async function copyPrefixedRange(client: pg.ClientBase, copySql: string, path: string, start: number, end: number, prefixer: LinePrefixer): Promise<number> {
  const file = await open(path, 'r');
  const writer = new CopyWriter(client.query(copyFrom(copySql)), SPARE_BYTES);
  const input = takeBuffer(READ_BYTES);
  try {
    for (let pos = start; pos < end; ) {
      const { bytesRead } = await file.read(input, 0, Math.min(READ_BYTES, end - pos), pos);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${pos}, before the chunk's end at ${end}: the file changed since it was planned`);
      pos += bytesRead;
      await writer.send(prefixer.prefix(input.subarray(0, bytesRead), writer.spare));
    }
    prefixer.finish();
    const rows = await writer.finish();
    giveBack([input]);
    return rows;
  } catch (err) {
    throw writer.abort(err);
  } finally {
    await file.close();
  }
}
