import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LinePrefixer } from './line-prefixer';

/** Bytes read from the file at a time. */
const READ_BYTES = 1 << 20;
/** A spare buffer's size: a read's bytes and their prefixes (about 1.2 MiB for 1 MiB of order lines). */
const SPARE_BYTES = 2 * READ_BYTES;
/**
 * A piece at least this long is written from a spare buffer; a shorter one is copied out first.
 * Why the bound: the buffer is filled again once COPY's stream has called back for it, and that
 * call means "written to the socket in full" only for a write the socket could not take at once
 * (pg-copy-streams then waits for the socket's 'drain'); a socket takes writes below its 16 KiB
 * high-water mark at once, and may still hold their bytes when it says so.
 */
const REUSE_MIN_BYTES = 64 * 1024;

/**
 * Streams bytes [start, end) of an uncompressed file into `COPY … FROM STDIN`, each read prefixed
 * by `prefixer` (the fast path's lineage), and returns the rows PostgreSQL reports loaded.
 *
 * Why not a read stream piped through the prefixer: each read allocated a new buffer and the
 * prefixer another, twice the file's bytes in short-lived buffers outside the JavaScript heap,
 * whose accounting made V8 collect the worker's whole heap 25–35 times per worker in a seed
 * bronze load; the worker processes then used 2.1–2.3 core-s each of a 16 core-s, 8.5 s load
 * (bench/HISTORY.md). Here one read buffer and two spare buffers take turns, kept between chunks:
 * a spare is filled again only after COPY's stream called back for the piece written from it,
 * that is after the write before it (the other spare's) completed too. Measured in turn: workers
 * 1.0–1.1 core-s each, the load 7.0–7.3 s.
 */
export async function copyPrefixedRange(client: pg.ClientBase, copySql: string, path: string, start: number, end: number, prefixer: LinePrefixer): Promise<number> {
  const file = await open(path, 'r');
  const sink = client.query(copyFrom(copySql));
  // COPY's own failure (the server refused a row) ends the COPY. The listener stays: a COPY this
  // function cancels may report the cancellation as a second error.
  let refused: Error | undefined;
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  sink.on('error', (err: Error) => {
    refused ??= err;
    fail(err);
  });
  const input = takeBuffer(READ_BYTES);
  const spares = [takeBuffer(SPARE_BYTES), takeBuffer(SPARE_BYTES)];
  let reusable = false;
  try {
    let inFlight: Promise<void> = Promise.resolve();
    for (let pos = start, turn = 0; pos < end; turn ^= 1) {
      const { bytesRead } = await file.read(input, 0, Math.min(READ_BYTES, end - pos), pos);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${pos}, before the chunk's end at ${end}: the file changed since it was planned`);
      pos += bytesRead;
      // This spare's previous piece was written before the piece in flight was (awaited below).
      let piece = prefixer.prefix(input.subarray(0, bytesRead), spares[turn]);
      if (piece.length < REUSE_MIN_BYTES && piece.buffer === spares[turn]!.buffer) piece = Buffer.from(piece);
      await Promise.race([inFlight, failed]);
      inFlight = new Promise((resolve, reject) => sink.write(piece, (err) => (err ? reject(err) : resolve())));
      inFlight.catch(() => {});
    }
    await Promise.race([inFlight, failed]);
    prefixer.finish();
    sink.end();
    await Promise.race([finished(sink), failed]);
    reusable = true;
  } catch (err) {
    // A refused COPY is over already; otherwise (a read failed) the COPY is cancelled, as a
    // pipeline would: the transaction is then in error until the caller rolls it back.
    if (!refused && !sink.destroyed) sink.destroy(err as Error);
    throw refused ?? err;
  } finally {
    await file.close();
    // After a failure a socket write may still hold a spare: those are left to the collector.
    if (reusable) giveBack(input, ...spares);
  }
  return sink.rowCount ?? 0;
}

/** Buffers kept between chunks, by size: a few per worker process (one set per concurrent chunk). */
const kept = new Map<number, Buffer[]>();
const KEEP_PER_SIZE = 4;

function takeBuffer(size: number): Buffer {
  return kept.get(size)?.pop() ?? Buffer.allocUnsafe(size);
}

function giveBack(...buffers: Buffer[]): void {
  for (const b of buffers) {
    const list = kept.get(b.length) ?? [];
    if (list.length < KEEP_PER_SIZE) list.push(b);
    kept.set(b.length, list);
  }
}
