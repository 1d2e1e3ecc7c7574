import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bronzeCreateSql } from '../../src/contracts/bronze-ddl';
import { sourceByName } from '../../src/contracts/retail';
import { bronzeTarget } from '../../src/ingest/bronze-target';
import { withTransaction } from '../../src/db/pool';
import { loadChunk } from '../../src/ingest/bronze-loader';
import { registerFile } from '../../src/pipeline/register-file';
import { migrate } from '../../src/migrate/migrator';
import { runChecks } from '../../src/pipeline/checks';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('bronze');
});
afterAll(async () => t?.cleanup());

const HEADER = 'CID,CNTRY';

async function newRun(env: TestEnv = t): Promise<number> {
  const { rows } = await env.rt.pool.query(`insert into meta.runs (as_of, input_dir) values ('2025-01-01', 'test') returning run_id`);
  return rows[0].run_id;
}

/** Loads every chunk of a registered file, by the fast path or forced down the row path. */
async function loadFile(fileId: number, runId: number, rowPath: boolean, env: TestEnv = t) {
  const { rows } = await env.rt.pool.query(
    `select f.path, f.source, f.columns, f.header, c.chunk_index, c.byte_start, c.byte_end, c.first_line, c.records, c.needs_row_path
       from meta.files f join meta.chunks c using (file_id) where f.file_id = $1 order by c.chunk_index`,
    [fileId],
  );
  const results = [];
  for (const r of rows) {
    results.push(
      await withTransaction(env.rt.pool, (client) =>
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

  it('loads a chunk of many reads (the fast path reuses its buffers) with every row at its line, and a row COPY refuses deep in it loses nothing', async () => {
    // About 9 MB in one chunk: nine 1 MiB reads, written from two spare buffers taking turns
    // (src/ingest/prefixed-copy.ts), so a buffer is refilled while COPY still reads the other.
    const rows: { cid: string; cntry: string; line: number }[] = [];
    const text: string[] = [HEADER];
    let line = 2;
    for (let i = 0; i < 200_000; i++) {
      const cntry = i % 1000 === 7 ? `Two\nLines ${i}` : `Country ${i} ${'x'.repeat(i % 50)}`;
      rows.push({ cid: `AW-${i}`, cntry, line });
      text.push(`AW-${i},${cntry.includes('\n') ? `"${cntry}"` : cntry}`);
      line += cntry.includes('\n') ? 2 : 1;
    }
    const digest = (r: typeof rows) => createHash('md5').update(r.map((x) => `${x.cid}|${x.cntry}|${x.line}`).join('\n')).digest('hex');
    const loadedDigest = async (fileId: number) =>
      (await t.rt.pool.query(
        `select count(*)::int as n, md5(string_agg(cid || '|' || cntry || '|' || _line, E'\\n' order by _line)) as digest
           from bronze.erp_loc_a101 where _file_id = $1`,
        [fileId],
      )).rows[0];

    const register = async (name: string, lines: string[]) => {
      const dir = path.join(t.tmp, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'LOC_A101.csv'), `${lines.join('\n')}\n`);
      const runId = await newRun();
      const file = await registerFile(t.rt.pool, runId, { path: path.join(dir, 'LOC_A101.csv'), source: sourceByName('erp_loc_a101')! }, { chunkBytes: 1 << 30, maxRecordBytes: t.config.maxRecordBytes });
      expect(file.pendingChunks).toHaveLength(1);
      return { fileId: file.fileId, runId };
    };

    const clean = await register('many-reads', text);
    const [fast] = await loadFile(clean.fileId, clean.runId, false);
    expect(fast).toMatchObject({ path: 'copy', rowsRead: 200_000, rowsLoaded: 200_000 });
    expect(await loadedDigest(clean.fileId)).toEqual({ n: 200_000, digest: digest(rows) });

    // A row with a field too many near the end: COPY refuses it after most reads were sent.
    const bad = 180_000;
    const broken = await register('many-reads-bad', text.map((l, i) => (i === bad + 1 ? `${l},extra` : l)));
    const [fallback] = await loadFile(broken.fileId, broken.runId, false);
    expect(fallback).toMatchObject({ path: 'rows', rowsRead: 200_000, rowsLoaded: 199_999, rowsRejected: 1 });
    expect(fallback!.fallback).toMatch(/extra data after last expected column/);
    expect(await loadedDigest(broken.fileId)).toEqual({ n: 199_999, digest: digest(rows.filter((_, i) => i !== bad)) });
    const reject = (await t.rt.pool.query(`select line from quarantine.rejects where file_id = $1`, [broken.fileId])).rows;
    expect(reject).toEqual([{ line: rows[bad]!.line }]);
  });

  it('a plain file cut short after planning: the fast path cancels its COPY cleanly and the chunk goes down the row path', async () => {
    const dir = path.join(t.tmp, 'cut-short');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'LOC_A101.csv');
    const body = Array.from({ length: 60_000 }, (_, i) => `AW-${i},Country ${i} ${'z'.repeat(i % 40)}`);
    writeFileSync(file, `${[HEADER, ...body].join('\n')}\n`);
    const runId = await newRun();
    const reg = await registerFile(t.rt.pool, runId, { path: file, source: sourceByName('erp_loc_a101')! }, { chunkBytes: 1 << 30, maxRecordBytes: t.config.maxRecordBytes });
    // The export is rewritten shorter under our feet: the chunk's last bytes are gone.
    writeFileSync(file, `${[HEADER, ...body.slice(0, 40_000)].join('\n')}\n`);
    const [result] = await loadFile(reg.fileId, runId, false);
    expect(result!.path).toBe('rows');
    expect(result!.fallback).toMatch(/ended at byte \d+, before the chunk's end/);
    expect(result!.rowsRead).toBe(40_000); // what the file holds now; the worker's stability check then fails the job
    expect((await t.rt.pool.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('every bronze table and partition samples _file_id for its statistics at target 10 (migrations 016 and 023: the analyse of every silver step)', async () => {
    const { rows } = await t.rt.pool.query(
      `select c.relname, a.attstattarget from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'bronze'::regnamespace and c.relkind in ('r', 'p') and a.attname = '_file_id' order by 1`,
    );
    // six tables, the six partitions of the files before migration 023, and the first test's file's
    expect(rows.length).toBeGreaterThanOrEqual(13);
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

/** The partition of bronze.erp_loc_a101 that holds each of a file's rows (distinct). */
async function partitionsOf(env: TestEnv, fileId: number): Promise<string[]> {
  const { rows } = await env.rt.pool.query('select distinct tableoid::regclass::text as t from bronze.erp_loc_a101 where _file_id = $1 order by 1', [fileId]);
  return rows.map((r) => r.t);
}

async function registerLocations(env: TestEnv, runId: number, name: string, body: string, chunkBytes = 1 << 20) {
  const dir = path.join(env.tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'LOC_A101.csv'), `${HEADER}\n${body}`);
  return registerFile(env.rt.pool, runId, { path: path.join(dir, 'LOC_A101.csv'), source: sourceByName('erp_loc_a101')! }, { chunkBytes, maxRecordBytes: env.config.maxRecordBytes });
}

describe('bronze: one partition per file (migration 023)', () => {
  it('a registered file gets its own partition, without an index, and both paths load into it', async () => {
    const runId = await newRun();
    const file = await registerLocations(t, runId, 'own', 'AW-40,Germany\nAW-41,France\nAW-42,Spain\n', 16);
    const own = `bronze.erp_loc_a101_f${file.fileId}`;
    const { rows } = await t.rt.pool.query(
      `select pg_get_expr(c.relpartbound, c.oid) as bound, (select count(*)::int from pg_index i where i.indrelid = c.oid) as indexes
         from pg_class c where c.oid = to_regclass($1)`,
      [own],
    );
    expect(rows).toEqual([{ bound: `FOR VALUES FROM ('${file.fileId}') TO ('${file.fileId + 1}')`, indexes: 0 }]);
    const chunks = await loadFile(file.fileId, runId, false);
    expect(chunks.length).toBeGreaterThan(1);
    expect(await partitionsOf(t, file.fileId)).toEqual([own]);
    await t.rt.pool.query(`delete from bronze.erp_loc_a101 where _file_id = $1`, [file.fileId]);
    await t.rt.pool.query(`update meta.chunks set status = 'pending' where file_id = $1`, [file.fileId]);
    expect((await loadFile(file.fileId, runId, true)).every((r) => r.path === 'rows')).toBe(true);
    expect(await partitionsOf(t, file.fileId)).toEqual([own]);
    expect((await bronzeRows(file.fileId)).map((r) => r.cid)).toEqual(['AW-40', 'AW-41', 'AW-42']);

    // The conservation check counts the file in its partition, and sees a row go missing.
    const conserved = async () => (await runChecks(t.rt.pool, runId)).find((c) => c.name === 'bronze_rows_conserved')!;
    expect(await conserved()).toMatchObject({ passed: true, detail: { files: 1, mismatches: [] } });
    await t.rt.pool.query(`delete from bronze.erp_loc_a101 where _file_id = $1 and _line = 3`, [file.fileId]);
    expect(await conserved()).toMatchObject({ passed: false, detail: { mismatches: [{ read: 3, loaded: 2, rejected: 0 }] } });
  });

  it("a silver read of the run's files is planned on their partitions alone, the file ids folded into a constant", async () => {
    const runId = await newRun();
    const file = await registerLocations(t, runId, 'plan', 'AW-50,Germany\n');
    const plan = await withTransaction(t.rt.pool, async (client) => {
      await client.query(`select set_config('metalayer.file_ids', $1, true)`, [`{${file.fileId}}`]);
      const { rows } = await client.query(`explain (costs off) select count(*) from bronze.erp_loc_a101 b where b._file_id = any(meta.ctx_file_ids())`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain(`erp_loc_a101_f${file.fileId}`);
    expect(plan.match(/erp_loc_a101_\w+/g)!.every((name) => name === `erp_loc_a101_f${file.fileId}`)).toBe(true);
    expect(plan).toContain(`'{${file.fileId}}'::bigint[]`);
  });
});

describe('the run context folded at planning (migrations 023 and 024)', () => {
  it("plans a filter on the run's id and files with the constants, and no plpgsql function calls them (its cached plans would keep an earlier run's values)", async () => {
    const plan = await withTransaction(t.rt.pool, async (client) => {
      await client.query(`select set_config('metalayer.run_id', '4242', true), set_config('metalayer.file_ids', '{4243}', true)`);
      const { rows } = await client.query(
        `explain (costs off) select count(*) from silver.sales where _run_id = meta.ctx_run_id() and _file_id = any(meta.ctx_file_ids())`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/_run_id = '?4242'?/);
    expect(plan).not.toContain('ctx_run_id');
    expect(plan).toContain(`'{4243}'::bigint[]`);
    const callers = await t.rt.pool.query(
      `select p.oid::regprocedure::text as f from pg_proc p join pg_language l on l.oid = p.prolang
        where l.lanname = 'plpgsql' and p.prosrc ~ 'ctx_(run_id|file_ids)'`,
    );
    expect(callers.rows).toEqual([]);
  });
});

describe('bronze: tables of new sources', () => {
  it("a table made from a contract (metalayer docs' fix) is partitioned by file, and its files get their partitions", async () => {
    const contract = { ...sourceByName('erp_loc_a101')!, name: 'erp_new_feed' };
    await t.rt.pool.query(bronzeCreateSql(contract));
    await t.rt.pool.query(`select meta.add_bronze_partition('erp_new_feed', 900001)`);
    const made = await withTransaction(t.rt.pool, async (client) => ({
      target: await bronzeTarget(client, 'erp_new_feed', 900001),
      kind: (await client.query(`select relkind as kind from pg_class where oid = 'bronze.erp_new_feed'::regclass`)).rows[0].kind,
    }));
    expect(made).toEqual({ target: '"bronze"."erp_new_feed_f900001"', kind: 'p' });
    await t.rt.pool.query(`drop table bronze.erp_new_feed`);
  });
});

describe('bronze: upgrading a database loaded before the partitions (migration 022 → 023)', () => {
  let old: TestEnv;
  beforeAll(async () => {
    old = await createTestEnv('bronzeup', {}, { migrateUpTo: 22 });
  });
  afterAll(async () => old?.cleanup());

  it("keeps the rows loaded before, loads a file registered before into the old table, new files into their own, and runs on", async () => {
    // The release before registered files without a partition: a stand-in that does nothing.
    await old.rt.pool.query(`create function meta.add_bronze_partition(text, bigint) returns void language sql as ''`);
    const runId = await newRun(old);
    const loaded = await registerLocations(old, runId, 'before', 'AW-60,Germany\nAW-61,France\n');
    await loadFile(loaded.fileId, runId, false, old);
    const pending = await registerLocations(old, runId, 'pending', 'AW-62,Spain\n');
    await old.rt.pool.query(`drop function meta.add_bronze_partition(text, bigint)`);

    expect((await migrate(old.databaseUrl)).applied).toContain('023_bronze_partition_per_file');
    expect(await partitionsOf(old, loaded.fileId)).toEqual(['bronze.erp_loc_a101_before_023']);
    expect((await bronzeRowsIn(old, loaded.fileId)).map((r) => r.cid)).toEqual(['AW-60', 'AW-61']);

    await loadFile(pending.fileId, runId, false, old);
    expect(await partitionsOf(old, pending.fileId)).toEqual(['bronze.erp_loc_a101_before_023']);

    const after = await registerLocations(old, runId, 'after', 'AW-63,Italy\n');
    await loadFile(after.fileId, runId, false, old);
    expect(await partitionsOf(old, after.fileId)).toEqual([`bronze.erp_loc_a101_f${after.fileId}`]);

    // The whole pipeline on the upgraded database: silver reads the new file's partition.
    const dir = path.join(old.tmp, 'run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'LOC_A101.csv'), `${HEADER}\nAW-64,Norway\n`);
    const summary = await runPipeline(old.rt, { inputDir: dir, asOf: '2025-01-01', workers: 1 });
    expect(summary.status).toBe('succeeded');
    expect(summary.checks.every((c) => c.passed)).toBe(true);
    expect((await old.rt.pool.query(`select cid, country from silver.locations where cid = 'AW64'`)).rows).toEqual([{ cid: 'AW64', country: 'Norway' }]);
  });
});

async function bronzeRowsIn(env: TestEnv, fileId: number) {
  const { rows } = await env.rt.pool.query('select cid, _line from bronze.erp_loc_a101 where _file_id = $1 order by _line', [fileId]);
  return rows;
}
