import { finished } from 'node:stream/promises';
import type { CopyStreamQuery } from 'pg-copy-streams';

/**
 * A piece at least this long is written from a spare buffer; a shorter one is copied out first.
 * Why the bound: a spare is filled again once COPY's stream has called back for the piece written
 * after it, and that call means "written to the socket in full" only for a write the socket could
 * not take at once (pg-copy-streams then waits for the socket's 'drain'); a socket takes writes
 * below its 16 KiB high-water mark at once, and may still hold their bytes when it says so.
 */
const REUSE_MIN_BYTES = 64 * 1024;

/**
 * Writes into a `COPY … FROM STDIN` stream from two spare buffers taking turns, kept between
 * COPYs: the caller fills `spare`, `send`s its bytes, and fills the other spare while they go.
 * A spare is handed out again only after the piece sent after it was called back for, so its own
 * piece is in the kernel by then. Why: buffers allocated per write (1 MiB each) and dropped at
 * once made V8 collect the worker's whole heap every few megabytes, for its accounting of memory
 * outside the JavaScript heap (bench/HISTORY.md, 2026-12-05, seventh session).
 */
export class CopyWriter {
  private readonly spares: [Buffer, Buffer];
  private turn = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly failed: Promise<never>;
  /** COPY's own failure (the server refused a row), which ends the COPY. */
  private refused: Error | undefined;

  constructor(private readonly sink: CopyStreamQuery, spareBytes: number) {
    this.spares = [takeBuffer(spareBytes), takeBuffer(spareBytes)];
    let fail!: (err: Error) => void;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => {});
    // The listener stays: a COPY that abort() cancels may report the cancellation as a second error.
    sink.on('error', (err: Error) => {
      this.refused ??= err;
      fail(err);
    });
  }

  /** The buffer to fill next; free to overwrite. */
  get spare(): Buffer {
    return this.spares[this.turn]!;
  }

  /** Sends `piece`: bytes of `spare` (the turn passes to the other spare), or a buffer nobody reuses. */
  async send(piece: Buffer): Promise<void> {
    const fromSpare = piece.buffer === this.spare.buffer;
    if (fromSpare && piece.length < REUSE_MIN_BYTES) piece = Buffer.from(piece);
    await Promise.race([this.inFlight, this.failed]);
    this.inFlight = new Promise((resolve, reject) => this.sink.write(piece, (err) => (err ? reject(err) : resolve())));
    this.inFlight.catch(() => {});
    if (fromSpare) this.turn ^= 1;
  }

  /** Ends the COPY once every piece is written; returns the rows PostgreSQL reports loaded. */
  async finish(): Promise<number> {
    await Promise.race([this.inFlight, this.failed]);
    this.sink.end();
    await Promise.race([finished(this.sink), this.failed]);
    giveBack(this.spares);
    return this.sink.rowCount ?? 0;
  }

  /**
   * After a failure: a COPY the server refused is over already; otherwise it is cancelled (the
   * transaction is then in error until the caller rolls it back). The spares are left to the
   * collector: a socket write may still hold one. Returns the error to throw.
   */
  abort(err: unknown): unknown {
    if (!this.refused && !this.sink.destroyed) this.sink.destroy(err as Error);
    return this.refused ?? err;
  }
}

/** Buffers kept between COPYs, by size: a few per worker process (two per COPY in flight). */
const kept = new Map<number, Buffer[]>();
const KEEP_PER_SIZE = 4;

export function takeBuffer(size: number): Buffer {
  return kept.get(size)?.pop() ?? Buffer.allocUnsafe(size);
}

export function giveBack(buffers: Buffer[]): void {
  for (const b of buffers) {
    const list = kept.get(b.length) ?? [];
    if (list.length < KEEP_PER_SIZE) list.push(b);
    kept.set(b.length, list);
  }
}
