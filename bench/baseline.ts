/**
 * The benchmarks' baseline loader: the same files, split into the same chunks as MetaLayer's
 * bronze, loaded by raw `psql \copy` into text tables (public.baseline_<source>, bronze's column
 * types), `parallel` at a time. Each chunk is a file of its own (written once next to the dataset,
 * in `<dir>.chunks/`), which psql reads itself: piping the byte ranges into psql from this
 * process cost 1.2 core-seconds and 5-20 % of a seed load's time (bench/HISTORY.md, twelfth
 * session), a handicap bronze's workers, reading their own ranges, do not carry. bench/run.ts
 * times it against bronze; bench/floor.ts reads the tables it fills.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { DEFAULTS } from '../src/config/defaults';
import { RETAIL_SOURCES } from '../src/contracts/retail';
import { mapHeader } from '../src/contracts/header';
import { openData, planFile } from '../src/ingest/file-plan';
import { discoverFiles } from '../src/pipeline/discover';
import { machineCpuSeconds } from './processes';
import { psqlCopyFile, quiesce } from './setup';

/** Runs jobs with at most `parallel` at once. */
async function pool<T>(items: T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * The data bytes [start, end) of `source` as a file of their own in `chunkDir`, named by the source's
 * sha256 (a regenerated dataset gets new chunk files) and the chunk's index; written once.
 */
async function chunkFile(chunkDir: string, sha256: string, source: string, chunk: { index: number; start: number; end: number }): Promise<string> {
  const file = path.join(chunkDir, `${sha256.slice(0, 16)}-${chunk.index}.csv`);
  if (existsSync(file) && statSync(file).size === chunk.end - chunk.start) {
    // Read once, into the page cache, where bronze finds the dataset's files (just planned).
    await pipeline(createReadStream(file), new Writable({ write: (_data, _encoding, done) => done() }));
    return file;
  }
  mkdirSync(chunkDir, { recursive: true });
  const partial = `${file}.partial`;
  await pipeline(openData(source, chunk), createWriteStream(partial)); // decompressed, for a .gz file
  renameSync(partial, file);
  return file;
}

/**
 * The baseline loads of `dir` into the database `url` (its tables created here). Returns the
 * prepared loads; each `load()` empties the tables, checkpoints and times one load of every chunk.
 */
export async function prepareBaseline(dir: string, parallel: number, url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const jobs: { table: string; cols: string[]; file: string; records: number }[] = [];
  for (const f of discoverFiles(dir, RETAIL_SOURCES)) {
    const plan = await planFile(f.path, DEFAULTS.chunkBytes);
    const cols = mapHeader(f.source, plan.header, f.path).columns.map((c) => c!);
    const table = `baseline_${f.source.name}`;
    await client.query(`create table if not exists ${table} (${f.source.columns.map((c) => `${c.column} text`).join(', ')})`);
    for (const c of plan.chunks) {
      const file = await chunkFile(`${dir}.chunks`, plan.sha256, f.path, c);
      jobs.push({ table, cols, file, records: c.records });
    }
  }
  const tables = [...new Set(jobs.map((j) => j.table))];
  // The files are in the page cache for both contenders: the planner just read the dataset's, and
  // the chunk files were just written or read. One load
  // varies a lot here (the same seed files: 8.0 s to 21 s, the slowest on a fresh machine whose
  // WAL segments did not exist yet): the caller takes the median of several.
  return {
    rows: jobs.reduce((n, j) => n + j.records, 0),
    chunks: jobs.length,
    url,
    /** One load: its seconds, and the machine's busy core-seconds meanwhile (psql and the server). */
    async load(): Promise<{ seconds: number; busyCoreSeconds: number }> {
      await client.query(`truncate ${tables.join(', ')}`);
      await quiesce(client);  // each load starts from the same WAL state, nothing left to write back
      const busy = machineCpuSeconds().busy;
      const started = performance.now();
      await pool(jobs, parallel, (j) => psqlCopyFile(url, j.table, j.cols, j.file));
      return { seconds: (performance.now() - started) / 1000, busyCoreSeconds: machineCpuSeconds().busy - busy };
    },
    close: () => client.end(),
  };
}

