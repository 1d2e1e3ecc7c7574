import { Transform, type TransformCallback } from 'node:stream';
import { RecordEnds, RecordScanner } from './record-scanner';

/**
 * Fast path: puts each record's physical line number in front of it as a first CSV field
 * (`17,<record>`), so that PostgreSQL parses the untouched record bytes and fills `_line` from
 * the data, with no sequence or function call per row (the numbers are the file's own lines too).
 * Bytes are copied once into one output buffer per input buffer; nothing is allocated per field.
 */
export class LinePrefixer extends Transform {
  private readonly scanner = new RecordScanner();
  private readonly found = new RecordEnds();
  private line: number;
  private atRecordStart = true;
  records = 0;

  /** Constant fields written before the line number on every record (e.g. `run,file,`). */
  private readonly head: Buffer;
  /** The prefix of line `preLine` as written (`preLen` bytes: the head, the digits, a comma). */
  private readonly pre: Buffer;
  private preLen = 0;
  private preLine = -1;

  constructor(firstLine: number, head: string = '') {
    super();
    this.line = firstLine;
    this.head = Buffer.from(head, 'latin1');
    this.pre = Buffer.alloc(this.head.length + 21); // 20 digits and a comma at the most
  }

  override _transform(buf: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, this.prefix(buf));
  }

  /**
   * The prefixed bytes of the next piece of input, written at the start of `into` when it is large
   * enough (the caller's spare buffer, src/ingest/prefixed-copy.ts), else of a new buffer. `buf` is
   * only read: the caller may refill it as soon as this returns.
   */
  prefix(buf: Buffer, into?: Buffer): Buffer {
    const n = buf.length;
    const count = this.scanner.scanEnds(buf, this.found);
    const { ends, lines } = this.found;
    // The input is set once behind `room` bytes (the head, 20 digits and a comma is the widest
    // prefix; at most one per record start), and each record moved down in place by copyWithin,
    // which allocates nothing: Buffer#copy made a Uint8Array view per call, one per record (the
    // seed's 7.5 M order lines through the prefixer alone: 0.9 s of CPU instead of 1.5, measured
    // in turn; bench/HISTORY.md).
    const room = (count + 1) * (this.head.length + 21);
    const out = into && into.length >= room + n ? into : Buffer.allocUnsafe(room + n);
    out.set(buf, room);
    let o = 0;
    let from = room;
    if (this.atRecordStart && n > 0) o = this.writePrefix(out, o);
    for (let i = 0; i < count; i++) {
      const end = room + ends[i]!;
      out.copyWithin(o, from, end);
      o += end - from;
      from = end;
      this.line += lines[i]!;
      this.records++;
      if (ends[i]! < n) o = this.writePrefix(out, o);
    }
    const rest = room + n - from;
    if (rest > 0) {
      out.copyWithin(o, from, room + n);
      o += rest;
    }
    if (n > 0) this.atRecordStart = count > 0 && ends[count - 1] === n;
    return out.subarray(0, o);
  }

  override _flush(done: TransformCallback): void {
    this.finish();
    done();
  }

  /** Counts an unterminated last record; called once the input is exhausted. */
  finish(): void {
    if (this.scanner.finish()) this.records++;
  }

  /**
   * Writes the current line's prefix (the head, the line number, a comma). The prefix stays
   * rendered between records: a record one line further on adds one to its last digit (a carry
   * now and then), where writing the number out divided it by ten for every digit (the seed's 7.5 M
   * order lines through the prefixer alone: 0.60 s instead of 0.78, measured in turn; bench/HISTORY.md,
   * twelfth session). A record spanning lines, or the first, renders it again.
   */
  private writePrefix(out: Buffer, o: number): number {
    if (this.line !== this.preLine && !(this.line === this.preLine + 1 && this.advance())) this.render();
    const pre = this.pre;
    const len = this.preLen;
    for (let k = 0; k < len; k++) out[o + k] = pre[k]!; // a few bytes: a loop, not a native call
    return o + len;
  }

  /** Adds one to the rendered line number in place; false when the carry runs out of digits (9 → 10). */
  private advance(): boolean {
    const pre = this.pre;
    const first = this.head.length;
    let i = this.preLen - 2; // the last digit
    while (i >= first && pre[i] === 0x39) pre[i--] = 0x30;
    if (i < first) return false;
    pre[i]!++;
    this.preLine++;
    return true;
  }

  /** The prefix of this.line written out whole into `pre`. */
  private render(): void {
    const head = this.head;
    const digits = String(this.line);
    this.pre.set(head, 0);
    for (let k = 0; k < digits.length; k++) this.pre[head.length + k] = digits.charCodeAt(k);
    this.pre[head.length + digits.length] = 0x2c; // ','
    this.preLen = head.length + digits.length + 1;
    this.preLine = this.line;
  }
}
