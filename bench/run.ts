/**
 * `npm run bench -- [--scale quick|seed] [--workers 1,2] [--seed S] [--load-repeats R]`
 *
 * `--load-repeats R` (default 3; `--baseline-repeats` is its former name): the baseline and
 * MetaLayer's bronze alone are each loaded R times, in turn (baseline, bronze, baseline, …), and
 * their medians are compared. In turn, because this host's speed drifts by up to 2 × within
 * minutes: a baseline timed at a fast moment against a bronze load timed at a slow one (or the
 * reverse) measures the host, not the loader.
 *
 * Workload: the generated retail dataset (quick: 100 k customers ≈ 1 M rows; seed: 1 M customers
 * ≈ 10.5 M rows in six files), cached under bench/data by scale and seed.
 * In one run, on fresh databases:
 *   1. baseline: the same files, split into the same chunks, loaded by raw `psql \copy` into tables
 *      of bronze's column types (text), with the same parallelism as MetaLayer's bronze, from a
 *      checkpoint each time (as MetaLayer's run);
 *   2. MetaLayer's bronze alone: the same run served by N worker processes that take bronze jobs
 *      only, timed to its last chunk, on a fresh database each time; 1 and 2 in turn, R times each;
 *      bronze ÷ baseline compares the two medians;
 *   2b. once, before the first full run: the floor (bench/floor.ts), the spec's silver and gold
 *      work as bare statements over the tables the last baseline load filled; with the cheaper
 *      bronze load's core-seconds (baseline or MetaLayer's), what any implementation of the
 *      pipeline needs here, and the shortest wall time the machine's cores allow for it;
 *   3. MetaLayer: the full pipeline with N separate worker processes (one job per queue at a time
 *      each), for each N of --workers; then the next day's files (1 % changed customers, 1 % new order
 *      lines) on the warehouse just built, and the day after's (as much again, other customers) on
 *      the warehouse that day left, each from a checkpoint too, as a share of the full run.
 * Prints rows, seconds and rows/s per layer, bronze ÷ baseline, peak RSS per worker process,
 * queue overhead (per worker: the run's wall time minus its jobs' time, and its busy and idle time;
 * for the run: how long ready jobs waited for a worker; bench/queue-overhead.ts), the machine's CPU use during the full run (busy core-seconds and their share of
 * cores × wall) and where it went (core-seconds by step: bench/cpu-by-step.ts), the full run
 * against the floor (core-seconds, and wall time against the floor's core-seconds ÷ cores), machine facts;
 * and last which of the performance targets the run met (bench/targets.ts); writes them to
 * bench/results/<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULTS } from '../src/config/defaults';
import { generate } from '../src/generate/generator';
import type { RunSummary } from '../src/pipeline/summary';
import { processCpuSeconds, startCpuByStep } from './cpu-by-step';
import { prepareBaseline } from './baseline';
import { measureFloor, type Floor } from './floor';
import { queueOverhead, readJobTimings } from './queue-overhead';
import { formatTargets, judgeTargets } from './targets';
import { writeIncrementalDay } from './incremental-day';
import { cli, machineCpuSeconds, obliterate, peakRssMb, startWorker } from './processes';
import { arg, median, PG, quiesceAt, resetDatabase, writeResults } from './setup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCALES = { quick: 100_000, seed: 1_000_000 } as const;
const AS_OF = '2025-06-30';

function dataset(scale: keyof typeof SCALES, seed: number): string {
  const dir = path.join(ROOT, 'bench/data', `${scale}-s${seed}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    console.log(`generating ${SCALES[scale].toLocaleString()} customers into ${path.relative(ROOT, dir)} …`);
    generate({ out: dir, customers: SCALES[scale], seed, asOf: AS_OF });
  }
  return dir;
}

/**
 * MetaLayer's bronze on its own: the same run, served by worker processes that take bronze jobs
 * only, timed until the run's last chunk is loaded (as run_layers_summary.sql times bronze). In
 * the full run the small sources' silver steps start beside the order lines' bronze (src/queue/
 * flow.ts, bronzePriorities), so bronze there shares the cores and is no measure of bronze.
 * The run's silver and gold jobs are left in queues of their own prefix and removed.
 */
async function bronzeAlone(dir: string, workers: number) {
  const db = `metalayer_bench_w${workers}`;
  const url = await resetDatabase(db);
  const prefix = `{mlbench-bronze-${workers}-${Date.now()}}`;
  // LOG_LEVEL info: startWorker waits for the worker's 'worker started' line.
  const env = { ...process.env, DATABASE_URL: url, METALAYER_PREFIX: prefix, LOG_LEVEL: 'info', METALAYER_METRICS_PORT: '0' };
  await cli(['migrate'], env);
  await quiesceAt(url);  // as before each baseline load
  const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(env, 'bronze')));
  // What the workers themselves use of the cores the database needs (the prefixer, the COPY
  // relay, their collector), and the machine's busy time, from the run's start to its last chunk.
  // NaN for a worker gone meanwhile (its figure is then visibly missing, not zero).
  const workerCpu = () => procs.map((p) => processCpuSeconds(p.child.pid!) ?? NaN);
  const workerCpu0 = workerCpu();
  const machine0 = machineCpuSeconds();
  const run = spawn(process.execPath, [path.join(ROOT, 'bin/metalayer.mjs'), 'run', '--input', dir, '--as-of', AS_OF, '--json'], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ run_id: number | null; pending: number; chunks: number }>(
        `select r.run_id, count(c.*) filter (where c.status = 'pending')::int as pending, count(c.*)::int as chunks
           from (select max(run_id) as run_id from meta.runs) r
           left join meta.run_files rf on rf.run_id = r.run_id and rf.role = 'load'
           left join meta.chunks c on c.file_id = rf.file_id
          group by r.run_id`,
      ).catch(() => ({ rows: [] as { run_id: number | null; pending: number; chunks: number }[] })); // meta not there yet
      const r = rows[0];
      if (r?.run_id && r.chunks > 0 && r.pending === 0) {
        const workerCpuSeconds = workerCpu().map((c, i) => c - workerCpu0[i]!);
        const busyCoreSeconds = machineCpuSeconds().busy - machine0.busy;
        const layers = await client.query<{ layer: string; rows: string; ms: number }>(readFileSync(path.join(ROOT, 'sql/queries/run_layers_summary.sql'), 'utf8'), [r.run_id]);
        const bronze = layers.rows.find((l) => l.layer === 'bronze')!;
        const seconds = bronze.ms / 1000;
        return { rows: Number(bronze.rows), seconds, rowsPerSecond: Number(bronze.rows) / seconds, workerCpuSeconds, busyCoreSeconds };
      }
      if (run.exitCode !== null) throw new Error(`the bronze-only run exited ${run.exitCode} before its chunks were loaded`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
    run.kill('SIGTERM');
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await obliterate(prefix);
  }
}


async function metalayer(dir: string, workers: number) {
  const db = `metalayer_bench_w${workers}`;
  const url = await resetDatabase(db);
  // Several workers on one host: no /metrics endpoint (they would share its port).
  const env = { ...process.env, DATABASE_URL: url, METALAYER_PREFIX: `{mlbench-${workers}-${Date.now()}}`, LOG_LEVEL: 'info', METALAYER_METRICS_PORT: '0' };
  await cli(['migrate'], env);
  await quiesceAt(url);  // as before each baseline load
  const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(env)));
  const sampler = startCpuByStep(PG, procs.map((p) => p.child.pid!));
  const started = performance.now();
  const cpuBefore = machineCpuSeconds();
  const summary = JSON.parse(await cli(['run', '--input', dir, '--as-of', AS_OF, '--json'], { ...env, LOG_LEVEL: 'warn' })) as RunSummary;
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuAfter = machineCpuSeconds();
  const cpuByStep = await sampler.stop();
  // How much of the cores the run used: near 1, the run is bound by CPU and only removing work
  // (not overlapping it) makes it shorter.
  const cpu = { busyCoreSeconds: cpuAfter.busy - cpuBefore.busy, idleCoreSeconds: cpuAfter.idle - cpuBefore.idle };
  // The next day: 1 % changed customers and 1 % new order lines, on the warehouse just built;
  // then the day after, as much again for other customers, on the warehouse the next day left
  // (whose pages that day changed the first reader must tidy). Two samples of a small day's cost.
  const smallDay = async (day: number, tag: string, asOf: string) => {
    const dayDir = path.join(ROOT, 'bench/data', `incremental-${path.basename(dir)}${tag ? `-${tag}` : ''}`);
    const written = await writeIncrementalDay(dir, dayDir, asOf, tag, day);
    // From a checkpoint, as the full run and each baseline load: a real next day comes hours after
    // the big load's writes reached the disk, not while the server still flushes them.
    await quiesceAt(url);
    const started = performance.now();
    const run = JSON.parse(await cli(['run', '--input', dayDir, '--as-of', asOf, '--json'], { ...env, LOG_LEVEL: 'warn' })) as RunSummary;
    const seconds = (performance.now() - started) / 1000;
    return {
      changedCustomers: written.customers,
      newOrderLines: written.orderLines,
      status: run.status,
      wallSeconds: seconds,
      shareOfFullRun: seconds / wallSeconds,
      layers: { bronze: run.layers.bronze.ms / 1000, silver: run.layers.silver.ms / 1000, gold: run.layers.gold.ms / 1000 },
    };
  };
  const incremental = await smallDay(0, '', '2025-07-01');
  const dayAfter = await smallDay(1, 'b', '2025-07-02');
  for (const p of procs) p.peakRssMb = peakRssMb(p.child.pid!);
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  // The full run's jobs as BullMQ recorded them, before the bench's queues go.
  const queue = queueOverhead(await readJobTimings(env.METALAYER_PREFIX, summary.runId), wallSeconds);
  await obliterate(env.METALAYER_PREFIX); // the run's queues: the database keeps its record
  const layer = (l: 'bronze' | 'silver' | 'gold') => ({
    rows: summary.layers[l].rows,
    seconds: summary.layers[l].ms / 1000,
    rowsPerSecond: summary.layers[l].rows / Math.max(summary.layers[l].ms / 1000, 1e-9),
  });
  return {
    workers,
    status: summary.status,
    checksPassed: summary.checks.every((c) => c.passed),
    wallSeconds,
    cpu: { ...cpu, busyShare: cpu.busyCoreSeconds / Math.max(cpu.busyCoreSeconds + cpu.idleCoreSeconds, 1e-9) },
    cpuByStep,
    layers: { bronze: layer('bronze'), silver: layer('silver'), gold: layer('gold') },
    peakRssMb: procs.map((p) => Math.round(p.peakRssMb)),
    // Per worker: the run's wall time against its jobs' time; for the run: ready jobs' waits for a worker.
    queue,
    incremental,
    dayAfter,
  };
}

async function machine() {
  const client = new pg.Client({ connectionString: `${PG}/postgres` });
  await client.connect();
  const version = (await client.query('show server_version')).rows[0].server_version as string;
  await client.end();
  return { cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), cpu: os.cpus()[0]?.model, node: process.version, postgres: version };
}

async function main(): Promise<void> {
  const scale = arg('scale', 'quick') as keyof typeof SCALES;
  if (!(scale in SCALES)) throw new Error(`--scale must be quick or seed`);
  const seed = Number(arg('seed', '1'));
  const workerCounts = arg('workers', '1,2').split(',').map(Number);
  const repeats = Number(arg('load-repeats', arg('baseline-repeats', '3')));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--load-repeats must be a positive integer');
  const dir = dataset(scale, seed);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const results = [];
  let floor: (Floor & { bronzeCoreSeconds: number; totalCoreSeconds: number; minimumWallSeconds: number }) | undefined;
  const cores = os.cpus().length;
  for (const n of workerCounts) {
    // In turn, so that a drift of the host's speed reaches both contenders alike.
    const loads = await prepareBaseline(dir, n, await resetDatabase('metalayer_bench_baseline'));
    const baselineLoads: { seconds: number; busyCoreSeconds: number }[] = [];
    const bronzeLoads: Awaited<ReturnType<typeof bronzeAlone>>[] = [];
    for (let i = 0; i < repeats; i++) {
      baselineLoads.push(await loads.load());
      bronzeLoads.push(await bronzeAlone(dir, n));
    }
    await loads.close();
    const baselineTimes = baselineLoads.map((l) => l.seconds);
    const baseSeconds = median(baselineTimes);
    const base = {
      rows: loads.rows, seconds: baseSeconds, rowsPerSecond: loads.rows / baseSeconds, chunks: loads.chunks, parallel: n, repeats: baselineTimes,
      busyCoreSeconds: baselineLoads.map((l) => l.busyCoreSeconds),
    };
    const bronzeSeconds = bronzeLoads.map((b) => b.seconds);
    const bronzeMedian = median(bronzeSeconds);
    const bronze = {
      rows: bronzeLoads[0]!.rows,
      seconds: bronzeMedian,
      rowsPerSecond: bronzeLoads[0]!.rows / bronzeMedian,
      repeats: bronzeSeconds,
      // Per load: each worker process's CPU core-seconds, and the machine's busy core-seconds.
      workerCpuSeconds: bronzeLoads.map((b) => b.workerCpuSeconds),
      busyCoreSeconds: bronzeLoads.map((b) => b.busyCoreSeconds),
    };
    const ratio = bronze.rowsPerSecond / base.rowsPerSecond;
    // Each bronze load against the baseline load just before it: how much the ratio moves.
    const pairedRatios = baselineTimes.map((t, i) => (t / bronzeSeconds[i]!) * (bronze.rows / base.rows));
    console.log(
      `baseline psql \\copy, ${n} at a time: ${base.rows.toLocaleString()} rows in ${base.seconds.toFixed(2)} s (${Math.round(base.rowsPerSecond).toLocaleString()} rows/s; ` +
        `median of ${baselineTimes.map((t) => t.toFixed(2)).join(', ')} s)`,
    );
    console.log(
      `metalayer bronze alone, ${n} worker process(es): ${bronze.rows.toLocaleString()} rows in ${bronze.seconds.toFixed(2)} s ` +
        `(${Math.round(bronze.rowsPerSecond).toLocaleString()} rows/s; median of ${bronzeSeconds.map((t) => t.toFixed(2)).join(', ')} s), ` +
        `${ratio.toFixed(2)} × baseline (load by load: ${pairedRatios.map((r) => r.toFixed(2)).join(', ')}); ` +
        `worker processes' CPU ${bronze.workerCpuSeconds.map((w) => w.map((c) => c.toFixed(1)).join('+')).join(', ')} ` +
        `of ${bronze.busyCoreSeconds.map((b) => b.toFixed(1)).join(', ')} busy core-s`,
    );
    if (!floor) {
      // Once, on the tables the last baseline load filled, just before the first full run.
      await cli(['migrate'], { ...process.env, DATABASE_URL: loads.url, LOG_LEVEL: 'warn' }); // its cleaning functions and calendar
      const measured = await measureFloor(loads.url, AS_OF);
      // Bronze's floor: the cheaper of the two loads of the same files measured just now (here
      // MetaLayer's bronze has used fewer core-seconds than `psql \copy` at times).
      const bronzeCoreSeconds = Math.min(median(base.busyCoreSeconds), median(bronze.busyCoreSeconds));
      const totalCoreSeconds = bronzeCoreSeconds + measured.coreSeconds;
      floor = { ...measured, bronzeCoreSeconds, totalCoreSeconds, minimumWallSeconds: totalCoreSeconds / cores };
      console.log(
        `floor (the spec's silver and gold work as bare statements over the baseline's tables, one at a time; sql/bench/floor_first_load.sql): ` +
          `${floor.coreSeconds.toFixed(0)} core-s in ${floor.seconds.toFixed(1)} s; with bronze's cheaper load (${bronzeCoreSeconds.toFixed(0)} core-s) ` +
          `${totalCoreSeconds.toFixed(0)} core-s, so at least ${floor.minimumWallSeconds.toFixed(0)} s on ${cores} cores kept busy`,
      );
      console.log(`  largest: ${[...floor.statements].sort((a, b) => b.coreSeconds - a.coreSeconds).slice(0, 6).map((st) => `${st.label.replace(/^(create table|alter table|create index on) /, '')} ${st.coreSeconds.toFixed(1)}`).join(', ')}`);
    }
    const ml = await metalayer(dir, n);
    console.log(
      `metalayer, ${n} worker process(es): ${ml.status}, wall ${ml.wallSeconds.toFixed(1)} s; ` +
        `bronze ${ml.layers.bronze.seconds.toFixed(2)} s (beside the small sources' silver steps), ` +
        `silver ${ml.layers.silver.seconds.toFixed(1)} s, gold ${ml.layers.gold.seconds.toFixed(1)} s; peak RSS ${ml.peakRssMb.join(', ')} MB; ` +
        `queue: ${ml.queue.queued.jobs} jobs waited ${ml.queue.queued.totalSeconds.toFixed(1)} s in all once ready (the backlog), ` +
        `${ml.queue.dispatch.totalSeconds.toFixed(2)} s of it with their worker free (dispatch; the longest ${ml.queue.dispatch.longestSeconds.toFixed(2)} s: ${ml.queue.dispatch.longestJob}); machine CPU ${ml.cpu.busyCoreSeconds.toFixed(0)} core-s busy, ` +
        `${(ml.cpu.busyShare * 100).toFixed(0)} % of the cores`,
    );
    console.log(
      `  queue overhead per worker (wall − its jobs' time; busy, idle): ` +
        ml.queue.perWorker
          .map((w) => `${w.worker} ${w.jobs} jobs, ${w.jobSeconds.toFixed(1)} s of jobs, overhead ${w.overheadSeconds.toFixed(1)} s; busy ${w.busySeconds.toFixed(1)} s, idle ${w.idleSeconds.toFixed(1)} s`)
          .join('; '),
    );
    console.log(
      `  CPU by step (${ml.cpuByStep.attributedCoreSeconds.toFixed(0)} of ${ml.cpu.busyCoreSeconds.toFixed(0)} busy core-s attributed): ` +
        ml.cpuByStep.labels
          .filter((l) => l.coreSeconds >= 0.5)
          .map((l) => `${l.label} ${l.coreSeconds.toFixed(1)}`)
          .join(', '),
    );
    const idle = ml.cpuByStep.idleWhile;
    console.log(
      `  idle core-s while (${idle.reduce((n, w) => n + w.idleCoreSeconds, 0).toFixed(0)} in all): ` +
        idle
          .slice(0, 6)
          .map((w) => `${w.steps} ${w.idleCoreSeconds.toFixed(1)} (in ${w.seconds.toFixed(1)} s)`)
          .join('; '),
    );
    for (const [name, inc] of [['next day', ml.incremental], ['day after', ml.dayAfter]] as const) {
      console.log(
        `  ${name} (${inc.changedCustomers.toLocaleString()} changed customers, ${inc.newOrderLines.toLocaleString()} new order lines): ` +
          `${inc.status}, ${inc.wallSeconds.toFixed(1)} s = ${(inc.shareOfFullRun * 100).toFixed(1)} % of the full run ` +
          `(bronze ${inc.layers.bronze.toFixed(1)} s, silver ${inc.layers.silver.toFixed(1)} s, gold ${inc.layers.gold.toFixed(1)} s)`,
      );
    }
    console.log(
      `  against the floor: ${(ml.cpu.busyCoreSeconds / floor.totalCoreSeconds).toFixed(2)} × its core-seconds, ` +
        `${(ml.wallSeconds / floor.minimumWallSeconds).toFixed(2)} × its shortest wall time`,
    );
    results.push({ workers: n, baseline: base, bronzeAlone: bronze, metalayer: ml, bronzeRatio: ratio, pairedBronzeRatios: pairedRatios });
  }
  // Last, so that the verdicts end the output: which of the README's targets this run met.
  const targets = judgeTargets(scale, results, floor?.minimumWallSeconds);
  console.log('targets:');
  for (const line of formatTargets(targets)) console.log(line);
  const out = {
    at: new Date().toISOString(),
    command: `npm run bench -- --scale ${scale} --workers ${workerCounts.join(',')} --seed ${seed} --load-repeats ${repeats}`,
    workload: { scale, customers: SCALES[scale], seed, rows: Object.values(manifest.files as Record<string, { rows: number }>).reduce((n, f) => n + f.rows, 0), chunkBytes: DEFAULTS.chunkBytes },
    machine: await machine(),
    floor,
    results,
    targets,
  };
  writeResults('', out.at, out);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
