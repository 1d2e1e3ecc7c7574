/**
 * `npm run bench:memory -- [--gb 2]`
 *
 * Workload: one sales-details file of about --gb GiB (default 2), synthesised by streaming rows
 * (order numbers SO1…, a few hundred products and customers, valid dates and amounts), cached
 * under bench/data. One `metalayer worker --queues bronze --concurrency 1` process loads all of
 * its 8 MiB chunks; this script plans the run (as the scheduler) and polls the ledger.
 * Prints and writes bench/results/memory-<timestamp>.json: file size, rows, seconds, rows/s, and
 * the worker's peak resident set (VmHWM) — which must stay ≤ 300 MB: chunks are streamed.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/env';
import { migrate } from '../src/migrate/migrator';
import { startRun } from '../src/pipeline/start-run';
import { openRuntime } from '../src/runtime';
import { obliterate } from './processes';
import { arg, quiesceAt, resetDatabase, writeResults } from './setup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIMIT_MB = 300;

/** Writes rows until the file reaches `bytes`, honouring backpressure (never more than a buffer in memory). */
async function synthesise(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r())));
  await write('sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,sls_sales,sls_quantity,sls_price\n');
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    let block = '';
    for (let i = 0; i < 10_000; i++, rows++) {
      const q = 1 + (rows % 3);
      const price = 10 + (rows % 500);
      block += `SO${100000 + rows},BK-R${rows % 97}-${rows % 41},${11000 + (rows % 18000)},20${10 + (rows % 15)}0${1 + (rows % 9)}1${rows % 10},20${10 + (rows % 15)}0${1 + (rows % 9)}2${rows % 8},20${10 + (rows % 15)}0${1 + (rows % 9)}2${rows % 9},${q * price},${q},${price}\n`;
    }
    written += Buffer.byteLength(block);
    await write(block);
  }
  await new Promise<void>((r) => out.end(() => r()));
  return rows;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const gb = Number(arg('gb', '2'));
  const dir = path.join(ROOT, 'bench/data', `memory-${gb}gb`);
  const file = path.join(dir, 'sales_details_big.csv');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    console.log(`writing a ${gb} GiB sales file to ${path.relative(ROOT, file)} …`);
    await synthesise(file, gb * 2 ** 30);
  }
  const size = statSync(file).size;
  const name = 'metalayer_bench_memory';
  const env = { ...process.env, DATABASE_URL: await resetDatabase(name), METALAYER_PREFIX: `{mlbench-mem-${Date.now()}}`, LOG_LEVEL: 'warn' };
  await migrate(env.DATABASE_URL);
  await quiesceAt(env.DATABASE_URL); // the file just written, or the database just dropped, out of the dirty pages first
  const worker = spawn(process.execPath, [path.join(ROOT, 'bin/metalayer.mjs'), 'worker', '--queues', 'bronze', '--concurrency', '1', '--metrics-port', '0'], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => {
    let log = '';
    worker.stderr!.on('data', (d) => {
      log += d;
      if (log.includes('worker started')) resolve();
    });
  });
  const rt = openRuntime(loadConfig(env), { poolSize: 2 });
  const planStart = performance.now();
  const run = await startRun(rt, { inputDir: dir, asOf: '2025-06-30' });
  const planSeconds = (performance.now() - planStart) / 1000;
  const started = performance.now();
  let rows = 0;
  let sampledPeak = 0;
  for (;;) {
    const r = (await rt.pool.query(`select count(*) filter (where status = 'pending')::int as pending, coalesce(sum(rows_loaded), 0)::bigint as rows from meta.chunks`)).rows[0];
    sampledPeak = Math.max(sampledPeak, peakRssMb(worker.pid!));
    if (r.pending === 0) {
      rows = Number(r.rows);
      break;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = Math.round(peakRssMb(worker.pid!));
  worker.kill('SIGTERM');
  if (worker.exitCode === null && worker.signalCode === null) await new Promise((res) => worker.once('exit', res));
  await rt.close();
  await obliterate(env.METALAYER_PREFIX); // the run's queues: the database keeps its record
  const out = {
    at: new Date().toISOString(),
    command: `npm run bench:memory -- --gb ${gb}`,
    workload: { file: path.relative(ROOT, file), bytes: size, rows, chunks: run.files[0]?.pendingChunks.length },
    planSeconds,
    bronzeSeconds: seconds,
    rowsPerSecond: rows / seconds,
    workerPeakRssMb: peak,
    limitMb: LIMIT_MB,
    withinLimit: peak <= LIMIT_MB,
  };
  console.log(
    `${(size / 2 ** 30).toFixed(2)} GiB, ${rows.toLocaleString()} rows in ${out.workload.chunks} chunks: planned in ${planSeconds.toFixed(1)} s, ` +
      `loaded by one worker in ${seconds.toFixed(1)} s (${Math.round(out.rowsPerSecond).toLocaleString()} rows/s); worker peak RSS ${peak} MB ` +
      `(limit ${LIMIT_MB} MB: ${out.withinLimit ? 'ok' : 'EXCEEDED'})`,
  );
  writeResults('memory-', out.at, out);
  process.exit(out.withinLimit ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
