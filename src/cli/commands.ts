import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/env';
import { ConfigError } from '../errors/config-error';
import { generate } from '../generate/generator';
import { migrate } from '../migrate/migrator';
import { runExitCode, runPipeline } from '../pipeline/run-pipeline';
import { buildSummary } from '../pipeline/summary';
import { QUEUES, isQueueName, type QueueName } from '../queue/names';
import { openRuntime } from '../runtime';
import { startWorkers } from '../../workers/start-workers';
import { createWorkerMetrics } from '../metrics/metrics';
import { serveMetrics } from '../metrics/serve-metrics';
import { registerOperationsCommands } from './operations-commands';
import { registerQualityCommands } from './quality-commands';
import { untilStopSignal } from './signals';
import { formatSummary } from './print-summary';
import { isoDate, nonNegativeInt, positiveInt, type SetExit } from './arguments';
import { wantsProgress, watchRunProgress, type ProgressWatch } from './progress';


const today = (): string => new Date().toISOString().slice(0, 10);

export function registerCommands(program: Command, setExit: SetExit): void {
  program
    .command('migrate')
    .description('apply sql/migrations (creates the database if missing; safe to run concurrently)')
    .action(async () => {
      const config = loadConfig();
      const result = await migrate(config.databaseUrl);
      process.stdout.write(
        result.applied.length > 0 ? `applied ${result.applied.join(', ')}\n` : `up to date (${result.alreadyApplied} migrations)\n`,
      );
      // A database made by someone else keeps its collation: correct, only slower (README, Performance).
      if (result.collation !== 'C' && result.collation !== 'POSIX') {
        process.stderr.write(`note: the database compares text under "${result.collation}"; key builds and sorts are faster under "C" (README: Performance)\n`);
      }
    });

  program
    .command('generate')
    .description('write the six retail source files with realistic dirt, and manifest.json')
    .requiredOption('--out <dir>', 'output folder')
    .option('--customers <n>', 'number of customers', positiveInt, 10_000)
    .option('--seed <s>', 'random seed', positiveInt, 1)
    .option('--as-of <date>', 'the date the data is exported on', isoDate, today())
    .action((o: { out: string; customers: number; seed: number; asOf: string }) => {
      const started = Date.now();
      const m = generate({ out: path.resolve(o.out), customers: o.customers, seed: o.seed, asOf: o.asOf });
      const rows = Object.values(m.files).reduce((n, f) => n + f.rows, 0);
      process.stdout.write(`wrote ${rows.toLocaleString('en-US')} rows in 6 files to ${o.out} in ${((Date.now() - started) / 1000).toFixed(1)} s (manifest.json)\n`);
    });

  program
    .command('run')
    .description('one pipeline run over the files in a folder; waits and prints a summary')
    .requiredOption('--input <dir>', 'folder with the source files (sub-folders included)')
    .option('--as-of <date>', 'business date of the run (SCD2 validity, birthdate rule)', isoDate, today())
    .option('--workers <n>', 'also run N workers in this process (0: rely on `metalayer worker` processes)', nonNegativeInt, 0)
    .option('--json', 'print one JSON object instead of the readable summary')
    .option('--timeout <seconds>', 'give up waiting after this many seconds', positiveInt)
    .action(async (o: { input: string; asOf: string; workers: number; json?: boolean; timeout?: number }) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const rt = openRuntime(config, { poolSize: Math.max(config.poolSize, o.workers * 3 + 2) });
      let progress: ProgressWatch | null = null;
      try {
        const summary = await runPipeline(rt, {
          inputDir: path.resolve(o.input),
          asOf: o.asOf,
          workers: o.workers,
          ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
          onStarted: (runId) => {
            if (wantsProgress(o.json)) progress = watchRunProgress(rt.pool, runId);
          },
        });
        await (progress as ProgressWatch | null)?.stop();
        process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
        setExit(runExitCode(summary));
      } finally {
        await rt.close();
      }
    });

  program
    .command('worker')
    .description('a long-running worker process (stops gracefully on SIGTERM/SIGINT)')
    .option('--queues <list>', 'comma-separated queues to serve', QUEUES.join(','))
    .option('--concurrency <n>', 'jobs at once per queue', positiveInt)
    .option('--metrics-port <n>', 'port of this worker\'s /metrics (0: none; default METALAYER_METRICS_PORT or 9464)', nonNegativeInt)
    .action(async (o: { queues: string; concurrency?: number; metricsPort?: number }) => {
      const config = loadConfig();
      const queues = o.queues.split(',').map((q) => q.trim());
      const bad = queues.filter((q) => !isQueueName(q));
      if (bad.length > 0) throw new ConfigError(`unknown queue(s) ${bad.join(', ')}; the queues are ${QUEUES.join(', ')}`);
      await migrate(config.databaseUrl);
      const concurrency = o.concurrency ?? config.concurrency;
      const rt = openRuntime(config, { poolSize: Math.max(config.poolSize, concurrency * queues.length + 1) });
      const metrics = createWorkerMetrics();
      const metricsPort = o.metricsPort ?? config.workerMetricsPort;
      const endpoint = metricsPort > 0 ? await serveMetrics(metrics.registry, metricsPort) : null;
      const group = startWorkers(rt, { queues: queues as QueueName[], concurrency, metrics });
      rt.logger.info(
        { queues, concurrency, prefix: config.queuePrefix, metricsPort: endpoint?.port ?? null, database: config.databaseUrl, redis: config.redisUrl },
        'worker started',
      );
      await untilStopSignal(rt.logger, `worker stopping: no new jobs; finishing active ones (grace ${config.shutdownGraceMs} ms)`, () => group.stopTaking());
      const { forced } = await group.close();
      await endpoint?.close();
      if (forced) {
        // A job outlived the deadline and still holds a PostgreSQL connection: exiting closes it,
        // PostgreSQL rolls its transaction back, and another worker takes the job once its lock lapses.
        rt.logger.warn({ graceMs: config.shutdownGraceMs }, 'worker stopped at the deadline; active jobs released');
        rt.logger.flush();
        process.exit(0);
      }
      await rt.close();
      rt.logger.info('worker stopped');
    });

  program
    .command('status')
    .description('show a run (default: the latest) or the recent runs')
    .option('--run <id>', 'run id', positiveInt)
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'how many recent runs to list without --run', positiveInt, 10)
    .action(async (o: { run?: number; json?: boolean; limit: number }) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const rt = openRuntime(config, { poolSize: 2 });
      try {
        if (o.run === undefined && !o.json) {
          const { rows } = await rt.pool.query(
            `select run_id, status, as_of, started_at, finished_at, message from meta.runs order by run_id desc limit $1`,
            [o.limit],
          );
          if (rows.length === 0) process.stdout.write('no runs yet\n');
          for (const r of rows) process.stdout.write(`run ${r.run_id}  ${String(r.status).padEnd(16)} as of ${r.as_of}  ${r.message ?? ''}\n`);
          return;
        }
        const runId =
          o.run ?? (await rt.pool.query<{ id: number }>('select max(run_id) as id from meta.runs')).rows[0]?.id ?? null;
        const summary = runId === null ? null : await buildSummary(rt.pool, runId);
        if (!summary) throw new ConfigError(o.run === undefined ? 'no runs yet' : `run ${o.run} does not exist`);
        process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
        setExit(['succeeded', 'noop', 'running', 'pending'].includes(summary.status) ? 0 : 1);
      } finally {
        await rt.close();
      }
    });

  registerOperationsCommands(program, setExit);
  registerQualityCommands(program, setExit);
}
