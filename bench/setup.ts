/** What the benchmark scripts share: the server they use, their options, fresh databases, medians. */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureDatabase } from '../src/db/pool';
import { loadSql } from '../src/db/sql-files';

/** The PostgreSQL server the benchmarks use (no database part). */
export const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';

/** Where every bench writes its figures (kept out of git). */
export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Writes a bench's figures to bench/results/<prefix><at>.json, `at` an ISO time with its `:` and
 * `.` as `-` (so that the names sort by time: bench/scaling.ts finds the newest by name), and
 * prints where. Returns the file's path.
 */
export function writeResults(prefix: string, at: string, figures: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${prefix}${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(figures, null, 2));
  console.log(`figures written to ${path.relative(path.resolve(RESULTS_DIR, '../..'), file)}`);
  return file;
}

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Drops the database `name` and creates it again as `metalayer migrate` would (its collation); returns its URL. */
export async function resetDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
  await ensureDatabase(`${PG}/${name}`);
  return `${PG}/${name}`;
}

/**
 * Where every timed piece of a bench starts from: a checkpoint (the same WAL state) and the
 * operating system's dirty pages written out (`sync`). Without the second, what the bench did just
 * before — a generated dataset, a dropped database, the memory case's 2 GiB file — is written
 * back by the kernel during the next load: at 30 s expiry and up to 10 % of memory before
 * background writeback starts, that is gigabytes here, and a bronze load after the memory case
 * took 21.3 s where the same load took 6.9 s (bench/HISTORY.md, twelfth session).
 */
export async function quiesce(client: pg.ClientBase): Promise<void> {
  await client.query('checkpoint');
  spawnSync('sync', { stdio: 'ignore' });
}

/** quiesce on a connection of its own to `url`, for a caller that holds none. */
export async function quiesceAt(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await quiesce(client);
  } finally {
    await client.end();
  }
}

/**
 * On a copy of a bench database (bench/day-timeline.ts, bench/profile-steps.ts): a new database
 * starts without statistics counters, so meta.analyze_if_stale would find fewer changes than it
 * recorded and analyse tables again, which the bench's own warehouse (counters kept) does not.
 * Recorded counts that went backwards become 0: the day's changes alone count, as they do there.
 */
export async function countChangesFromZero(c: pg.ClientBase): Promise<void> {
  await c.query('update meta.analysed_tables a set changes_at = 0 where meta.table_changes(a.relid) < a.changes_at');
}

/**
 * Raw `psql \copy` (CSV) of the file `file` into `table`, read by psql itself: the benchmarks'
 * baseline loader (bench/baseline.ts gives it each chunk as a file of its own).
 */
export function psqlCopyFile(url: string, table: string, cols: string[], file: string): Promise<void> {
  // psql's \copy takes the name in single quotes and no escape: the bench's own paths never hold one.
  if (file.includes("'")) throw new Error(`psqlCopyFile: a file name with a quote: ${file}`);
  return psqlCopyCommand(url, `\\copy ${table} (${cols.join(', ')}) from '${file}' with (format csv)`);
}

/**
 * `psql \copy` (CSV) of the bytes [start, end) of `file` into `table`, piped into psql's stdin by
 * this process (about 1.2 core-seconds of it for the 10.5 M seed rows): bench/bronze-shape.ts,
 * which compares table shapes with one loader. The baseline does not use it (psqlCopyFile).
 */
export function psqlCopy(url: string, table: string, cols: string[], file: string, start: number, end: number): Promise<void> {
  return psqlCopyCommand(url, `\\copy ${table} (${cols.join(', ')}) from stdin with (format csv)`, createReadStream(file, { start, end: end - 1 }));
}

/** Runs one `\copy` command in psql, `input` (if any) as its stdin; rejects with psql's errors. */
function psqlCopyCommand(url: string, command: string, input?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', command], { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy failed: ${err}`))));
    if (input) input.pipe(child.stdin!);
  });
}

/**
 * The statements of sql/<file>, each alone, for tools that run or time them one by one: our SQL
 * files end each statement with `;` at a line end (a comment may follow it); the comment lines
 * before a statement are dropped.
 */
export function sqlStatements(file: string): string[] {
  return loadSql(file)
    .split(/;\s*(?:--[^\n]*)?\n/)
    .map((s) => s.replace(/^(\s*--[^\n]*\n)*/g, '').trim())
    .filter((s) => s.length > 0);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
