import { Transform, type TransformCallback } from 'node:stream';

/** Passes through bytes [start, end) of a stream: a chunk's range of a decompressed .gz file. */
export class ByteRange extends Transform {
  private offset = 0;
  private readonly from: number;
  private readonly to: number;
  constructor(start: number, end: number) {
    super();
    this.from = start;
    this.to = end;
  }

  override _transform(buf: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = Math.max(this.from - this.offset, 0);
    const to = Math.min(this.to - this.offset, buf.length);
    this.offset += buf.length;
    done(null, from < to ? buf.subarray(from, to) : undefined);
  }
}
