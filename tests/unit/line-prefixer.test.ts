import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LinePrefixer } from '../../src/ingest/line-prefixer';
import { RecordEnds, RecordScanner } from '../../src/ingest/record-scanner';

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

  it('numbers lines across carries and after records that span lines', async () => {
    // The prefix stays rendered between records and is advanced digit by digit: 9 → 10, 99 → 100,
    // 999 → 1000, a carry through every digit, and a jump after a record with quoted newlines.
    const rows = Array.from({ length: 1200 }, (_, i) => (i === 95 ? `r${i},"a\nb\nc"` : `r${i}`));
    const input = rows.join('\n') + '\n';
    let line = 8;
    const expected = rows.map((r) => {
      const out = `5,${line},${r}\n`;
      line += r.includes('"') ? 3 : 1;
      return out;
    });
    const whole = await prefix([input], 8, '5,');
    expect(whole.text).toBe(expected.join(''));
    expect(whole.text).toContain('5,9,r1\n5,10,r2\n');
    expect(whole.text).toContain('5,99,r91\n5,100,r92\n');
    expect(whole.text).toContain('5,999,r989\n5,1000,r990\n');
    // Cut into many small buffers: the rendered prefix carries across them.
    const parts = input.match(/[\s\S]{1,37}/g)!;
    expect((await prefix(parts, 8, '5,')).text).toBe(whole.text);
  });

  it('writes large line numbers correctly', async () => {
    const r = await prefix(['x\n'], 12345678901);
    expect(r.text).toBe('12345678901,x\n');
  });

  it('gives the same output for every way of cutting a file mixing quote-free and quoted buffers', async () => {
    // Quote-free buffers take the scanner's LF-only path (scanEnds); the reference here is the
    // general scan() over the whole input in one buffer, and the prefix built from its records.
    const rows = ['1,a', '2,"b\nc",z', '3,d', '4,e', '5,"x ""y"" z"', '6,"p\n\nq"', '7,f\r', '8,g', '9,h'];
    const input = rows.join('\n') + '\n';
    const expected: string[] = [];
    let line = 5;
    let start = 0;
    new RecordScanner().scan(Buffer.from(input), (end, lines) => {
      expected.push(`3,${line},${input.slice(start, end)}`);
      line += lines;
      start = end;
    });
    expect(expected).toHaveLength(rows.length);
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let trial = 0; trial < 300; trial++) {
      const cuts = [...new Set(Array.from({ length: 1 + rand(6) }, () => 1 + rand(input.length - 1)))].sort((a, b) => a - b);
      const parts = [0, ...cuts].map((c, i, all) => input.slice(c, all[i + 1] ?? input.length));
      const r = await prefix(parts, 5, '3,');
      expect(r.text, `cuts ${cuts.join(',')}`).toBe(expected.join(''));
      expect(r.records).toBe(rows.length);
    }
  });
});

describe('RecordScanner.scanEnds', () => {
  it('finds the record ends and line counts scan() finds, whatever the buffers', () => {
    // A stray quote inside a field (`o"p`) does not open one: across a cut, the scanner must know
    // that the record did not start at the quote.
    const input = Buffer.from('a,b\n"c\nd",e\nf\nn,o"p\nq\n"g""h",\n\ni,"j\nk\nl"\nm');
    const reference: [number, number][] = [];
    new RecordScanner().scan(input, (end, lines) => reference.push([end, lines]));
    for (let cut1 = 1; cut1 < input.length; cut1++) {
      for (const cut2 of [cut1 + 1, cut1 + 5, input.length]) {
        if (cut2 > input.length) continue;
        const scanner = new RecordScanner();
        const found = new RecordEnds();
        const got: [number, number][] = [];
        let base = 0;
        for (const part of [input.subarray(0, cut1), input.subarray(cut1, cut2), input.subarray(cut2)]) {
          const n = scanner.scanEnds(part, found);
          for (let i = 0; i < n; i++) got.push([base + found.ends[i]!, found.lines[i]!]);
          base += part.length;
        }
        expect(got, `cuts ${cut1},${cut2}`).toEqual(reference);
        expect(scanner.finish()?.lines, 'the unterminated last record').toBe(1);
      }
    }
  });
});
