/**
 * The benchmarks' baseline loader: the same files, split into the same chunks as MetaLayer's
 * bronze, loaded by raw `psql \copy` into text tables (public.baseline_<source>, bronze's column
 * types), `parallel` at a time. bench/run.ts times it against bronze; bench/floor.ts reads the
 * tables it fills.
 */
import pg from 'pg';
import { DEFAULTS } from '../src/config/defaults';
import { RETAIL_SOURCES } from '../src/contracts/retail';
import { mapHeader } from '../src/contracts/header';
import { planFile } from '../src/ingest/file-plan';
import { discoverFiles } from '../src/pipeline/discover';
import { machineCpuSeconds } from './processes';
import { psqlCopy, quiesce } from './setup';

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
 * The baseline loads of `dir` into the database `url` (its tables created here). Returns the
 * prepared loads; each `load()` empties the tables, checkpoints and times one load of every chunk.
 */
export async function prepareBaseline(dir: string, parallel: number, url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const jobs: { table: string; cols: string[]; file: string; start: number; end: number; records: number }[] = [];
  for (const f of discoverFiles(dir, RETAIL_SOURCES)) {
    const plan = await planFile(f.path, DEFAULTS.chunkBytes);
    const cols = mapHeader(f.source, plan.header, f.path).columns.map((c) => c!);
    const table = `baseline_${f.source.name}`;
    await client.query(`create table if not exists ${table} (${f.source.columns.map((c) => `${c.column} text`).join(', ')})`);
    for (const c of plan.chunks) jobs.push({ table, cols, file: f.path, start: c.start, end: c.end, records: c.records });
  }
  const tables = [...new Set(jobs.map((j) => j.table))];
  // The files are in the page cache for both contenders: the planner just read them. One load
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
      await pool(jobs, parallel, (j) => psqlCopy(url, j.table, j.cols, j.file, j.start, j.end));
      return { seconds: (performance.now() - started) / 1000, busyCoreSeconds: machineCpuSeconds().busy - busy };
    },
    close: () => client.end(),
  };
}

