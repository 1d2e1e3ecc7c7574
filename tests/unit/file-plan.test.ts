import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planFile } from '../../src/ingest/file-plan';
import { readRecords } from '../../src/ingest/record-reader';
import { openData } from '../../src/ingest/file-plan';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function records(p: string, firstLine = 2, range?: { start: number; end: number }) {
  const out: { line: number; text: string }[] = [];
  for await (const r of readRecords(openData(p, range), firstLine)) out.push({ line: r.line, text: r.bytes.toString('utf8') });
  return out;
}

describe('planFile: headers, chunks and line numbers', () => {
  it('strips a BOM, handles CRLF, counts quoted newlines as lines, drops trailing blank lines', async () => {
    const p = file('bom.csv', '\ufeffid,name\r\n1,"a\r\nb"\r\n2,"x, y"\r\n\r\n\r\n');
    const plan = await planFile(p, 1 << 20);
    expect(plan.header).toEqual(['id', 'name']);
    expect(plan.records).toBe(2);
    expect(plan.chunks).toHaveLength(1);
    const c = plan.chunks[0]!;
    expect(c.firstLine).toBe(2);
    expect(c.blankLines).toBe(0);
    expect(c.needsRowPath).toBe(false);
    const recs = await records(p, c.firstLine, c);
    expect(recs.map((r) => r.line)).toEqual([2, 4]);
    expect(recs[1]!.text).toBe('2,"x, y"\r\n');
  });

  it('accepts a last row without a newline', async () => {
    const p = file('nofinal.csv', 'id,name\n1,a\n2,b');
    const plan = await planFile(p, 1 << 20);
    expect(plan.records).toBe(2);
    expect(plan.chunks[0]!.end).toBe(Buffer.byteLength('id,name\n1,a\n2,b'));
  });

  it('cuts chunks only at record boundaries, never inside a quoted newline', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},"line one\nline two of ${i}",x`);
    const p = file('many.csv', `id,text,z\n${rows.join('\n')}\n`);
    const plan = await planFile(p, 500);
    expect(plan.chunks.length).toBeGreaterThan(10);
    expect(plan.records).toBe(200);
    let expectedLine = 2;
    let seen = 0;
    for (const c of plan.chunks) {
      expect(c.firstLine).toBe(expectedLine);
      const recs = await records(p, c.firstLine, c);
      expect(recs).toHaveLength(c.records);
      for (const r of recs) {
        expect(r.text).toMatch(new RegExp(`^${seen},"line one\\nline two of ${seen}",x\\n$`));
        expect(r.line).toBe(2 + seen * 2);
        seen++;
      }
      expectedLine += c.records * 2;
    }
    expect(seen).toBe(200);
  });

  it('flags blank lines inside the data and a lone "\\." line for the row path', async () => {
    const blank = await planFile(file('blank.csv', 'a,b\n1,2\n\n3,4\n'), 1 << 20);
    expect(blank.records).toBe(2);
    expect(blank.chunks[0]!.blankLines).toBe(1);
    expect(blank.chunks[0]!.needsRowPath).toBe(true);
    const marker = await planFile(file('marker.csv', 'a\n1\n\\.\n2\n'), 1 << 20);
    expect(marker.records).toBe(3);
    expect(marker.chunks[0]!.needsRowPath).toBe(true);
  });

  it('refuses a file whose quote is never closed, naming the line (the record would swallow the rest)', async () => {
    await expect(planFile(file('open.csv', 'a,b\n0,ok\n1,"oops\n2,3\n'), 1 << 20)).rejects.toThrow(/unclosed quote: .* on line 3 is never closed/);
  });

  it('sends a chunk with an over-long record down the row path', async () => {
    const plan = await planFile(file('long.csv', `a,b\n1,${'x'.repeat(3000)}\n2,y\n`), 1 << 20, 2048);
    expect(plan.records).toBe(2);
    expect(plan.chunks[0]!.needsRowPath).toBe(true);
    const short = await planFile(file('short.csv', 'a,b\n1,x\n2,y\n'), 1 << 20, 2048);
    expect(short.chunks[0]!.needsRowPath).toBe(false);
  });

  it('cuts records where RFC 4180 does, keeping a stray quote inside its line, and flags it', async () => {
    const p = file('stray.csv', 'a,b\n1,O"Brien\n2,"bro"ken"\n3,"ok ""quoted"""\n4,"x\ny"\n5,z\n');
    const plan = await planFile(p, 1 << 20);
    expect(plan.records).toBe(5);
    expect(plan.chunks[0]!.needsRowPath).toBe(true);
    const recs = await records(p, 2, plan.chunks[0]!);
    expect(recs.map((r) => r.line)).toEqual([2, 3, 4, 5, 7]);
    const clean = await planFile(file('clean.csv', 'a,b\n3,"ok ""quoted"""\n4,"x\ny"\n5,""\n'), 1 << 20);
    expect(clean.chunks[0]!.needsRowPath).toBe(false);
  });

  it('keeps a .csv.gz file as one chunk of its decompressed data', async () => {
    const text = 'id,name\n' + Array.from({ length: 100 }, (_, i) => `${i},n${i}`).join('\n') + '\n';
    const p = file('z.csv.gz', gzipSync(text));
    const plan = await planFile(p, 64);
    expect(plan.compressed).toBe(true);
    expect(plan.chunks).toHaveLength(1);
    expect(plan.records).toBe(100);
    expect(plan.chunks[0]!.end).toBe(Buffer.byteLength(text));
  });

  it('refuses an empty file and a header-only file has no chunks', async () => {
    await expect(planFile(file('empty.csv', ''), 1024)).rejects.toThrow(/empty/);
    const headerOnly = await planFile(file('header.csv', 'a,b\n'), 1024);
    expect(headerOnly.header).toEqual(['a', 'b']);
    expect(headerOnly.chunks).toHaveLength(0);
  });

  it('gives the same sha256 for the same bytes and another for other bytes', async () => {
    const a = await planFile(file('s1.csv', 'a\n1\n'), 1024);
    const b = await planFile(file('s2.csv', 'a\n1\n'), 1024);
    const c = await planFile(file('s3.csv', 'a\n2\n'), 1024);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).not.toBe(c.sha256);
  });
});
