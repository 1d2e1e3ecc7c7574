import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceByName } from '../../src/contracts/retail';
import { withTransaction } from '../../src/db/pool';
import { loadChunk } from '../../src/ingest/bronze-loader';
import { registerFile } from '../../src/pipeline/register-file';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('bronze');
});
afterAll(async () => t?.cleanup());

const HEADER = 'CID,CNTRY';

async function newRun(): Promise<number> {
  const { rows } = await t.rt.pool.query(`insert into meta.runs (as_of, input_dir) values ('2025-01-01', 'test') returning run_id`);
  return rows[0].run_id;
}

/** Loads every chunk of a registered file, by the fast path or forced down the row path. */
async function loadFile(fileId: number, runId: number, rowPath: boolean) {
  const { rows } = await t.rt.pool.query(
    `select f.path, f.source, f.columns, f.header, c.chunk_index, c.byte_start, c.byte_end, c.first_line, c.records, c.needs_row_path
       from meta.files f join meta.chunks c using (file_id) where f.file_id = $1 order by c.chunk_index`,
    [fileId],
  );
  const results = [];
  for (const r of rows) {
    results.push(
      await withTransaction(t.rt.pool, (client) =>
        loadChunk(
          client,
          { runId, fileId, chunkIndex: r.chunk_index },
          { path: r.path, source: r.source, columns: r.columns, header: r.header },
          { start: r.byte_start, end: r.byte_end, firstLine: r.first_line, records: r.records, needsRowPath: rowPath || r.needs_row_path },
        ),
      ),
    );
  }
  return results;
}

async function bronzeRows(fileId: number) {
  const { rows } = await t.rt.pool.query('select cid, cntry, _line, _extra from bronze.erp_loc_a101 where _file_id = $1 order by _line', [fileId]);
  return rows;
}

describe('bronze: the COPY fast path and the row-by-row path', () => {
  it('give identical rows and line numbers on the same file (BOM, CRLF, quotes, newlines, non-ASCII, blanks)', async () => {
    const dir = path.join(t.tmp, 'same');
    mkdirSync(dir, { recursive: true });
    const lines = [
      `\ufeff${HEADER}`,
      'AW-1,Germany',
      'AW-2,"Comma, Land"',
      'AW-3,"Quote ""Q"" Land"',
      'AW-4,"Two',
      'Lines"',
      'AW-5,Ümlaut Öland 山',
      'AW-6,   ',
      'AW-7,',
      'AW-8,""',
      ',DE',
    ];
    writeFileSync(path.join(dir, 'LOC_A101.csv'), lines.join('\r\n')); // no final newline
    const runId = await newRun();
    const file = await registerFile(t.rt.pool, runId, { path: path.join(dir, 'LOC_A101.csv'), source: sourceByName('erp_loc_a101')! }, { chunkBytes: 40, maxRecordBytes: t.config.maxRecordBytes });
    expect(file.pendingChunks.length).toBeGreaterThan(2);

    const fast = await loadFile(file.fileId, runId, false);
    expect(fast.every((r) => r.path === 'copy')).toBe(true);
    const viaCopy = await bronzeRows(file.fileId);

    // Reset the ledger and the rows, then load the same chunks down the row path.
    await t.rt.pool.query('delete from bronze.erp_loc_a101 where _file_id = $1', [file.fileId]);
    await t.rt.pool.query(`update meta.chunks set status = 'pending' where file_id = $1`, [file.fileId]);
    const slow = await loadFile(file.fileId, runId, true);
    expect(slow.every((r) => r.path === 'rows')).toBe(true);
    const viaRows = await bronzeRows(file.fileId);

    expect(viaRows).toEqual(viaCopy);
    expect(viaCopy).toEqual([
      { cid: 'AW-1', cntry: 'Germany', _line: 2, _extra: null },
      { cid: 'AW-2', cntry: 'Comma, Land', _line: 3, _extra: null },
      { cid: 'AW-3', cntry: 'Quote "Q" Land', _line: 4, _extra: null },
      { cid: 'AW-4', cntry: 'Two\r\nLines', _line: 5, _extra: null },
      { cid: 'AW-5', cntry: 'Ümlaut Öland 山', _line: 7, _extra: null },
      { cid: 'AW-6', cntry: '   ', _line: 8, _extra: null },
      { cid: 'AW-7', cntry: null, _line: 9, _extra: null },
      { cid: 'AW-8', cntry: null, _line: 10, _extra: null },
      { cid: null, cntry: 'DE', _line: 11, _extra: null },
    ]);
  });

  it('every bronze table samples _file_id for its statistics at target 10 (migration 016: the analyse of every silver step)', async () => {
    const { rows } = await t.rt.pool.query(
      `select c.relname, a.attstattarget from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'bronze'::regnamespace and c.relkind = 'r' and a.attname = '_file_id' order by 1`,
    );
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.attstattarget !== 10)).toEqual([]);
  });

  it('a duplicated job never loads a chunk twice', async () => {
    const dir = path.join(t.tmp, 'twice');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'LOC_A101.csv'), `${HEADER}\nAW-10,Germany\nAW-11,France\n`);
    const runId = await newRun();
    const file = await registerFile(t.rt.pool, runId, { path: path.join(dir, 'LOC_A101.csv'), source: sourceByName('erp_loc_a101')! }, { chunkBytes: 1 << 20, maxRecordBytes: t.config.maxRecordBytes });
    const [first, second] = await Promise.all([loadFile(file.fileId, runId, false), loadFile(file.fileId, runId, false)]);
    const loadedOnce = [first![0]!, second![0]!].filter((r) => !r.skipped);
    expect(loadedOnce).toHaveLength(1);
    expect(await bronzeRows(file.fileId)).toHaveLength(2);
  });

  it('quarantines structurally bad rows with line and reason, loads the rest, and the counts add up', async () => {
    const dir = path.join(t.tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    const content = Buffer.concat([
      Buffer.from(`${HEADER}\nAW-20,Germany\nAW-21,France,extra\nAW-22\nAW-23,"bro"ken"\nAW-24,`),
      Buffer.from([0xff, 0xfe]), // invalid UTF-8
      Buffer.from('\nAW-25,Nul\u0000Land\nAW-26,Spain\n\nAW-27,Italy\nAW-28,Côte d"Ivoire\n'),
    ]);
    writeFileSync(path.join(dir, 'LOC_A101.csv'), content);
    const summary = await runPipeline(t.rt, { inputDir: dir, asOf: '2025-01-01', workers: 1 });
    const f = summary.files[0]!;
    expect(f).toMatchObject({ source: 'erp_loc_a101', rowsRead: 9, rowsLoaded: 4, rowsRejected: 5, rowPathChunks: 1 });
    const rejects = (await t.rt.pool.query(
      `select line, reason, raw from quarantine.rejects where stage = 'bronze' and run_id = $1 order by line`,
      [summary.runId],
    )).rows;
    expect(rejects.map((r) => r.line)).toEqual([3, 4, 5, 6, 7]);
    expect(rejects[0].reason).toMatch(/expected 2 fields as in the header, found 3/);
    expect(rejects[1].reason).toMatch(/found 1/);
    expect(rejects[2].reason).toMatch(/quot/);
    expect(rejects[3].reason).toMatch(/not valid UTF-8/);
    expect(rejects[4].reason).toMatch(/NUL byte/);
    expect(Buffer.from(rejects[3].raw)).toEqual(Buffer.concat([Buffer.from('AW-24,'), Buffer.from([0xff, 0xfe])]));
    const loaded = (await t.rt.pool.query(`select cid, _line from bronze.erp_loc_a101 b join meta.run_files rf on rf.file_id = b._file_id and rf.run_id = $1 order by _line`, [summary.runId])).rows;
    expect(loaded).toEqual([
      { cid: 'AW-20', _line: 2 },
      { cid: 'AW-26', _line: 8 },
      { cid: 'AW-27', _line: 10 },
      { cid: 'AW-28', _line: 11 }, // a stray quote inside an unquoted field is kept as a character
    ]);
    expect((await t.rt.pool.query(`select cntry from bronze.erp_loc_a101 where cid = 'AW-28'`)).rows[0].cntry).toBe('Côte d"Ivoire');
    expect(summary.checks.find((c) => c.name === 'bronze_rows_conserved')!.passed).toBe(true);
  });

  it('keeps unknown columns in _extra and reports them; refuses a file missing a required column', async () => {
    const dir = path.join(t.tmp, 'extra');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'loc_a101_extra.csv'), 'cntry,Region,cid\nGermany,EU,AW-30\n');
    writeFileSync(path.join(dir, 'cust_az12_broken.csv'), 'CID,GEN\nAW-30,M\n');
    const summary = await runPipeline(t.rt, { inputDir: dir, asOf: '2025-01-01', workers: 1 });
    expect(summary.status).toBe('partially_failed');
    const loc = summary.files.find((f) => f.source === 'erp_loc_a101')!;
    expect(loc).toMatchObject({ rowsLoaded: 1, extraColumns: ['Region'] });
    const az = summary.files.find((f) => f.source === 'erp_cust_az12')!;
    expect(az.role).toBe('refused');
    expect(az.error).toMatch(/required column BDATE missing/);
    const row = (await t.rt.pool.query(`select cid, cntry, _extra from bronze.erp_loc_a101 where cid = 'AW-30'`)).rows[0];
    expect(row).toEqual({ cid: 'AW-30', cntry: 'Germany', _extra: { Region: 'EU' } });
  });
});
