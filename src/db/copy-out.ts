import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams';

const ERROR_RESPONSE = 0x45; // E
const COPY_OUT_RESPONSE = 0x48; // H
const COPY_DATA = 0x64; // d
const NOTIFICATION = 0x41; // A
const NOTICE = 0x4e; // N
const PARAMETER_STATUS = 0x53; // S

/** What a COPY … TO STDOUT stream of pg-copy-streams 7 does with the connection's bytes (copy-to.js). */
interface CopyToInternals extends CopyToStreamQuery {
  _buffer: { push(b: Buffer): void };
  _parse(chunk: Buffer): boolean | undefined;
  _detach(): void;
  _cleanup(): void;
}

// pg-copy-streams exports a factory, not its class: the class of the stream the factory makes.
const CopyToQuery = copyTo('').constructor as new (text: string) => CopyToInternals;

/**
 * `COPY … TO STDOUT` as a readable stream of the data's bytes, as pg-copy-streams' `to()` gives it,
 * parsed without an allocation per row. The library cuts every CopyData message (one per row) out
 * of the socket's bytes as a buffer of its own and joins them again per read: three buffers per
 * row, so that relaying the 7.5 M order lines (silver) and then their 7.5 M facts kept V8's
 * collector busy for 5 of a worker's 14 core-seconds (bench/HISTORY.md). Here the payloads are
 * moved down over the messages' 5-byte headers inside the socket's own buffer (copyWithin: no
 * allocation) and each read passes on as one slice. The protocol handling is the library's: the
 * stream attaches to and detaches from the connection as `to()` does, ends at CopyDone, hands an
 * ErrorResponse and whatever follows back to pg, and skips the messages that may come between rows.
 */
export class CopyOutStream extends CopyToQuery {
  /** The message header (code, int32 length) seen so far, when a read ended inside one. */
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;
  /** Bytes of the current message's payload still to come. */
  private payloadLeft = 0;
  private payloadIsData = false;
  /** The current message ends the copy (CopyDone, or any other) once its payload is read. */
  private endsCopy = false;

  override _parse(chunk: Buffer): boolean | undefined {
    const n = chunk.length;
    let pos = 0;
    let out = 0;
    let done = false;
    while (pos < n && !done) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, n - pos);
        if (this.payloadIsData) {
          if (out !== pos) chunk.copyWithin(out, pos, pos + take);
          out += take;
        }
        pos += take;
        this.payloadLeft -= take;
        if (this.payloadLeft === 0 && this.endsCopy) done = true;
        continue;
      }
      if (this.headerBytes === 0 && chunk[pos] === ERROR_RESPONSE) {
        // pg reads the error (and the rest) once the stream gives the connection back.
        this._buffer.push(chunk.subarray(pos));
        this._detach();
        return undefined;
      }
      this.header[this.headerBytes++] = chunk[pos++]!;
      if (this.headerBytes < 5) continue;
      this.headerBytes = 0;
      const code = this.header[0]!;
      this.payloadLeft = this.header.readUInt32BE(1) - 4;
      this.payloadIsData = code === COPY_DATA;
      this.endsCopy = !(code === COPY_DATA || code === COPY_OUT_RESPONSE || code === PARAMETER_STATUS || code === NOTICE || code === NOTIFICATION);
      if (this.payloadLeft === 0 && this.endsCopy) done = true;
    }
    let drained = true;
    if (out > 0) drained = this.push(chunk.subarray(0, out));
    if (done) {
      // What follows CopyDone (CommandComplete, ReadyForQuery) is pg's again.
      if (pos < n) this._buffer.push(chunk.subarray(pos));
      this._detach();
      this.push(null);
      this._cleanup();
    }
    return drained;
  }
}
