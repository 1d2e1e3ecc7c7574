import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LinePrefixer } from '../../src/ingest/line-prefixer';

async function prefix(parts: string[], firstLine: number, head = ''): Promise<{ text: string; records: number }> {
  const p = new LinePrefixer(firstLine, head);
  const out: Buffer[] = [];
  for await (const b of Readable.from(parts.map((s) => Buffer.from(s))).pipe(p)) out.push(b as Buffer);
  return { text: Buffer.concat(out).toString('utf8'), records: p.records };
}

describe('LinePrefixer', () => {
  it('puts each record\'s physical line number first, across buffer splits and quoted newlines', async () => {
    const input = '1,a\n2,"b\nc"\n3,d\n4,e';
    const whole = await prefix([input], 7);
    expect(whole.text).toBe('7,1,a\n8,2,"b\nc"\n10,3,d\n11,4,e');
    expect(whole.records).toBe(4);
    // Every possible split point gives the same output.
    for (let i = 1; i < input.length; i++) {
      const split = await prefix([input.slice(0, i), input.slice(i)], 7);
      expect(split.text, `split at ${i}`).toBe(whole.text);
    }
  });

  it('handles CRLF records and a buffer that ends exactly at a record end', async () => {
    const r = await prefix(['1,a\r\n', '2,b\r\n'], 2);
    expect(r.text).toBe('2,1,a\r\n3,2,b\r\n');
    expect(r.records).toBe(2);
  });

  it('writes the constant lineage head before every line number', async () => {
    const r = await prefix(['a\nb', '\nc\n'], 9, '7,42,');
    expect(r.text).toBe('7,42,9,a\n7,42,10,b\n7,42,11,c\n');
  });

  it('writes large line numbers correctly', async () => {
    const r = await prefix(['x\n'], 12345678901);
    expect(r.text).toBe('12345678901,x\n');
  });
});
