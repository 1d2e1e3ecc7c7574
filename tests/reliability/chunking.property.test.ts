import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceByName } from '../../src/contracts/retail';
import { withTransaction } from '../../src/db/pool';
import { loadChunk } from '../../src/ingest/bronze-loader';
import { parseRecord, stripLineEnd } from '../../src/ingest/csv-fields';
import { openData, planFile } from '../../src/ingest/file-plan';
import { readRecords } from '../../src/ingest/record-reader';
import { RecordKind } from '../../src/ingest/record-scanner';
import { registerFile } from '../../src/pipeline/register-file';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// Property: for random CSV content (quotes, embedded newlines, CRLF, BOM, blank lines, non-ASCII)
// cut into chunks of random sizes, the rows over all chunks equal the rows written — none lost,
// none doubled, each with its physical line number. Once on the planner and reader alone (many
// cases), once through PostgreSQL into bronze (fewer cases: each is a real load).
interface Generated {
  bytes: Buffer;
  rows: { line: number; fields: string[] }[];
}

const fieldChars = fc.constantFrom('a', 'Z', '7', ' ', ',', '"', '\n', '\r\n', 'é', '€', '\t', ';', '\\');
const field = fc.array(fieldChars, { maxLength: 8 }).map((cs) => cs.join(''));

/** Random valid CSV (RFC 4180) for a 2-column header, with the rows and lines it must give. */
const csvFile = fc
  .record({
    rows: fc.array(fc.tuple(field, field), { minLength: 0, maxLength: 40 }),
    crlf: fc.array(fc.boolean(), { minLength: 41, maxLength: 41 }),
    blanks: fc.array(fc.nat(2), { minLength: 41, maxLength: 41 }),
    quoteAll: fc.array(fc.boolean(), { minLength: 82, maxLength: 82 }),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ rows, crlf, blanks, quoteAll, bom, finalNewline }): Generated => {
    const quote = (v: string, force: boolean): string => (force || /[",\n\r]|^\s|\s$/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
    let text = `${bom ? '\ufeff' : ''}cid,cntry`;
    let line = 1;
    const out: Generated['rows'] = [];
    rows.forEach(([a, b], i) => {
      const eol = crlf[i] ? '\r\n' : '\n';
      text += eol;
      line++;
      for (let k = 0; k < blanks[i]!; k++) {
        text += eol;
        line++;
      }
      // A record of two empty fields is written "","" so that it is not a blank line.
      const record = `${quote(a, quoteAll[2 * i]!)},${quote(b, quoteAll[2 * i + 1]!)}`;
      out.push({ line, fields: [a, b] });
      text += record;
      line += (a.match(/\n/g)?.length ?? 0) + (b.match(/\n/g)?.length ?? 0);
    });
    if (finalNewline) text += '\n';
    return { bytes: Buffer.from(text, 'utf8'), rows: out };
  });

const chunkBytes = fc.integer({ min: 8, max: 600 });

let dir: string;
let n = 0;
const write = (g: Generated): string => {
  const p = path.join(dir, `LOC_A101_${n++}.csv`);
  writeFileSync(p, g.bytes);
  return p;
};

describe('chunking and parsing (property)', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ml-prop-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the records of all chunks are the rows written, in order, with their lines', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile, chunkBytes, async (g, size) => {
        const p = write(g);
        const plan = await planFile(p, size);
        const got: Generated['rows'] = [];
        let previousEnd = plan.chunks[0]?.start ?? 0;
        for (const c of plan.chunks) {
          expect(c.start).toBe(previousEnd); // chunks tile the data: no gap, no overlap
          previousEnd = c.end;
          for await (const r of readRecords(openData(p, c), c.firstLine)) {
            if (r.kind === RecordKind.Blank) continue;
            got.push({ line: r.line, fields: parseRecord(stripLineEnd(r.bytes).toString('utf8')) });
          }
        }
        expect(plan.records).toBe(g.rows.length);
        expect(got).toEqual(g.rows);
      }),
      { numRuns: 300 },
    );
  });
});

describe('chunking, parsing and COPY into bronze (property)', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('property');
    dir = mkdtempSync(path.join(os.tmpdir(), 'ml-prop-db-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.cleanup();
  });

  it('bronze holds every row exactly once, with its line, whatever the chunk size and path', async () => {
    const source = sourceByName('erp_loc_a101')!;
    await fc.assert(
      fc.asyncProperty(csvFile, chunkBytes, async (g, size) => {
        const p = write(g);
        const run = (await t.rt.pool.query(`insert into meta.runs (status, as_of, input_dir) values ('running', '2025-06-30', $1) returning run_id`, [dir])).rows[0].run_id;
        const reg = await registerFile(t.rt.pool, run, { path: p, source }, { chunkBytes: size, maxRecordBytes: 1 << 20 });
        const file = (await t.rt.pool.query('select columns, header from meta.files where file_id = $1', [reg.fileId])).rows[0];
        const chunks = (await t.rt.pool.query('select * from meta.chunks where file_id = $1 order by chunk_index', [reg.fileId])).rows;
        let read = 0;
        for (const c of chunks) {
          const r = await withTransaction(t.rt.pool, (client) =>
            loadChunk(
              client,
              { runId: run, fileId: reg.fileId, chunkIndex: c.chunk_index },
              { path: p, source: source.name, columns: file.columns, header: file.header },
              { start: c.byte_start, end: c.byte_end, firstLine: c.first_line, records: c.records, needsRowPath: c.needs_row_path },
            ),
          );
          expect(r.rowsRejected).toBe(0);
          read += r.rowsRead;
        }
        const bronze = (await t.rt.pool.query('select _line, cid, cntry from bronze.erp_loc_a101 where _file_id = $1 order by _line', [reg.fileId])).rows;
        expect(read).toBe(g.rows.length);
        // COPY reads an empty field as NULL (force_null): bronze keeps "no value", not "".
        expect(bronze).toEqual(g.rows.map((r) => ({ _line: r.line, cid: r.fields[0] || null, cntry: r.fields[1] || null })));
        // Forget the file: fast-check may generate the same content (same sha256) again.
        await t.rt.pool.query(
          'delete from bronze.erp_loc_a101 where _file_id = $1',
          [reg.fileId],
        );
        for (const table of ['meta.chunks', 'meta.run_files', 'meta.files']) await t.rt.pool.query(`delete from ${table} where file_id = $1`, [reg.fileId]);
      }),
      { numRuns: 40 },
    );
  });
});
