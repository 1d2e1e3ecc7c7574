import { Transform, type TransformCallback } from 'node:stream';

/** 'PGCOPY\n\377\r\n\0': the signature that opens a binary COPY stream. */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const HEADER_FIXED = SIGNATURE.length + 8; // signature, flags (int32), header extension length (int32)

/** What FlagStripper counted: rows seen, and for each bit 0–31 the rows that had it set. */
export interface FlagTally {
  rows: number;
  bits: number[];
}

/**
 * A transform over a binary COPY stream (COPY … TO STDOUT (FORMAT binary)) whose every tuple ends
 * with a non-null int4 of flags: it removes that last field from each tuple and counts, per bit,
 * the tuples that had it set. What passes on is a valid binary COPY stream of the other fields,
 * for a COPY … FROM STDIN into a table without the flags column.
 *
 * It lets one read of a query both load a table and tally something about the rows it loaded
 * (sql/migrations/019_run_sales_views.sql: which values did not parse), instead of reading the
 * source a second time for the tally. Tuples are rewritten in place, compacted towards the start
 * of each chunk, and passed on as one slice per chunk: no allocation per tuple or field; only a
 * tuple split across chunks is copied, once.
 */
export class FlagStripper extends Transform {
  readonly tally: FlagTally = { rows: 0, bits: new Array<number>(32).fill(0) };
  private carry: Buffer | undefined;
  private headerDone = false;
  private ended = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    try {
      const { out, consumed } = this.compact(buf);
      if (consumed < buf.length) this.carry = Buffer.from(buf.subarray(consumed));
      if (out > 0) this.push(buf.subarray(0, out));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.carry || !this.ended) done(new Error(`binary COPY stream ended ${this.carry ? 'inside a tuple' : 'without its trailer'}`));
    else done();
  }

  /**
   * Rewrites the complete tuples of buf in place; returns the bytes to pass on (buf[0, out)) and
   * the bytes consumed (the rest is an incomplete tuple, kept for the next chunk).
   */
  private compact(buf: Buffer): { out: number; consumed: number } {
    let pos = 0;
    let out = 0;
    if (!this.headerDone) {
      if (buf.length < HEADER_FIXED) return { out: 0, consumed: 0 };
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream (signature missing)');
      const header = HEADER_FIXED + buf.readInt32BE(SIGNATURE.length + 4);
      if (buf.length < header) return { out: 0, consumed: 0 };
      this.headerDone = true;
      pos = out = header; // the header passes on unchanged, where it is
    }
    const { bits } = this.tally;
    while (pos + 2 <= buf.length) {
      if (this.ended) throw new Error('binary COPY stream continues after its trailer');
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        // The trailer: passes on as it is.
        buf.copyWithin(out, pos, pos + 2);
        out += 2;
        pos += 2;
        this.ended = true;
        continue;
      }
      if (fields < 1) throw new Error(`binary COPY tuple with ${fields} fields`);
      // Walk to the last field; stop if the tuple is not all here yet.
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < fields - 1; i++) {
        if (p + 4 > buf.length) {
          complete = false;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4 + (len > 0 ? len : 0);
      }
      if (!complete || p + 4 > buf.length) break;
      if (buf.readInt32BE(p) !== 4) throw new Error('the last field of a binary COPY tuple is not a non-null int4 of flags');
      if (p + 8 > buf.length) break;
      const flags = buf.readInt32BE(p + 4);
      this.tally.rows++;
      for (let f = flags, b = 0; f !== 0; f >>>= 1, b++) if (f & 1) bits[b]!++;
      // The tuple without its last field, one field fewer, moved down to `out`.
      buf.writeInt16BE(fields - 1, pos);
      if (out !== pos) buf.copyWithin(out, pos, p);
      out += p - pos;
      pos = p + 8;
    }
    return { out, consumed: pos };
  }
}
