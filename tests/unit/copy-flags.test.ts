import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FlagStripper } from '../../src/db/copy-flags';

// A binary COPY stream (PostgreSQL's documented format) built by hand: header, tuples, trailer.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const header = (extension = Buffer.alloc(0)) => Buffer.concat([SIGNATURE, int32(0), int32(extension.length), extension]);
const field = (v: string | null) => (v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]));
const tuple = (values: (string | null)[], flags?: number) =>
  Buffer.concat([int16(values.length + (flags === undefined ? 0 : 1)), ...values.map(field), ...(flags === undefined ? [] : [int32(4), int32(flags)])]);
const TRAILER = int16(-1);

const ROWS: { values: (string | null)[]; flags: number }[] = [
  { values: ['SO1', 'BK-1', '11'], flags: 0 },
  { values: ['SO2', null, ''], flags: 0b101 },
  { values: ['', 'x'.repeat(300), null], flags: 2 ** 31 + 2 }, // bit 31: a negative int4
  { values: [null, null, null], flags: 0b1000_0000_0000_0 },
];
const WITH_FLAGS = Buffer.concat([header(Buffer.from('ext')), ...ROWS.map((r) => tuple(r.values, r.flags | 0)), TRAILER]);
const WITHOUT = Buffer.concat([header(Buffer.from('ext')), ...ROWS.map((r) => tuple(r.values)), TRAILER]);

async function strip(parts: Buffer[]): Promise<{ out: Buffer; stripper: FlagStripper }> {
  const stripper = new FlagStripper();
  // Copies: the stripper rewrites its input in place, and each split reuses the same source bytes.
  const chunks: Buffer[] = [];
  for await (const b of Readable.from(parts.map((p) => Buffer.from(p))).pipe(stripper)) chunks.push(b as Buffer);
  return { out: Buffer.concat(chunks), stripper };
}

describe('FlagStripper', () => {
  it('removes each tuple\'s last int4 and counts its bits, across every possible split of the stream', async () => {
    const whole = await strip([WITH_FLAGS]);
    expect(whole.out.equals(WITHOUT)).toBe(true);
    expect(whole.stripper.tally.rows).toBe(4);
    const expectedBits = new Array<number>(32).fill(0);
    for (const r of ROWS) for (let b = 0; b < 32; b++) if ((r.flags | 0) & (1 << b)) expectedBits[b]!++;
    expect(whole.stripper.tally.bits).toEqual(expectedBits);
    expect(expectedBits[31]).toBe(1);
    for (let i = 1; i < WITH_FLAGS.length; i++) {
      const split = await strip([WITH_FLAGS.subarray(0, i), WITH_FLAGS.subarray(i)]);
      expect(split.out.equals(WITHOUT), `split at ${i}`).toBe(true);
      expect(split.stripper.tally).toEqual(whole.stripper.tally);
    }
    // One byte at a time.
    const bytes = await strip([...WITH_FLAGS].map((b) => Buffer.from([b])));
    expect(bytes.out.equals(WITHOUT)).toBe(true);
    expect(bytes.stripper.tally).toEqual(whole.stripper.tally);
  });

  it('fails on a stream that is not binary COPY, is cut short, or whose last field is not a flags int4', async () => {
    await expect(strip([Buffer.from('order_number,product_number\n')])).rejects.toThrow(/signature/);
    await expect(strip([WITH_FLAGS.subarray(0, WITH_FLAGS.length - 5)])).rejects.toThrow(/inside a tuple/);
    await expect(strip([WITH_FLAGS.subarray(0, WITH_FLAGS.length - 2)])).rejects.toThrow(/without its trailer/);
    await expect(strip([Buffer.concat([header(), tuple(['a', 'b']), TRAILER])])).rejects.toThrow(/not a non-null int4/);
  });
});
