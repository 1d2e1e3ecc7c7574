import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/env';
import { migrate } from '../migrate/migrator';
import { retryRun } from '../pipeline/retry-run';
import { runExitCode } from '../pipeline/run-pipeline';
import { buildSummary } from '../pipeline/summary';
import { waitForRunStatus } from '../pipeline/wait-status';
import { createRedis } from '../queue/connection';
import { QUEUES } from '../queue/names';
import { openRuntime } from '../runtime';
import { startScheduler } from '../scheduler/scheduler';
import { checkHealth } from '../server/health';
import { startServer } from '../server/start-server';
import { startWorkers } from '../../workers/start-workers';
import { nonNegativeInt, positiveInt, type SetExit } from './arguments';
import { formatSummary } from './print-summary';
import { wantsProgress, watchRunProgress } from './progress';
import { untilStopSignal } from './signals';

/** The long-running services besides the worker (server, scheduler) and run repair (retry). */
export function registerOperationsCommands(program: Command, setExit: SetExit): void {
  program
    .command('server')
    .description('Bull Board at /admin/queues, /metrics, /healthz and the read API at /api')
    .option('--port <n>', 'port (default METALAYER_SERVER_PORT or 3000; 0: any free port)', nonNegativeInt)
    .option('--host <addr>', 'address to listen on when a login is configured', '0.0.0.0')
    .action(async (o: { port?: number; host: string }) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const rt = openRuntime(config, { poolSize: 4 });
      const server = await startServer(rt, { port: o.port ?? config.serverPort, host: o.host });
      await untilStopSignal(rt.logger, 'server stopping');
      await server.close();
      await rt.close();
    });

  program
    .command('scheduler')
    .description('periodic runs: a BullMQ job scheduler scans the landing folder on a cron schedule')
    .requiredOption('--input <dir>', 'landing folder to scan (sub-folders included)')
    .requiredOption('--cron <expr>', 'cron expression, e.g. "*/5 * * * *" (6 fields: seconds first)')
    .action(async (o: { input: string; cron: string }) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const rt = openRuntime(config, { poolSize: 3 });
      const scheduler = await startScheduler(rt, { inputDir: path.resolve(o.input), cron: o.cron });
      await untilStopSignal(rt.logger, 'scheduler stopping');
      await scheduler.close();
      await rt.close();
    });

  program
    .command('health')
    .description('exit 0 when PostgreSQL and Redis answer, 1 otherwise (container healthchecks)')
    .action(async () => {
      const config = loadConfig();
      const rt = openRuntime(config, { poolSize: 1 });
      const redis = createRedis(config.redisUrl);
      try {
        const health = await checkHealth(rt.pool, redis);
        process.stdout.write(`${JSON.stringify(health)}\n`);
        setExit(health.ok ? 0 : 1);
      } finally {
        redis.disconnect();
        await rt.close();
      }
    });

  program
    .command('retry')
    .description('resume a failed run from the step that failed (what succeeded is not redone); waits and prints a summary')
    .requiredOption('--run <id>', 'run id', positiveInt)
    .option('--workers <n>', 'also run N workers in this process (0: rely on `metalayer worker` processes)', nonNegativeInt, 0)
    .option('--json', 'print one JSON object instead of the readable summary')
    .option('--timeout <seconds>', 'give up waiting after this many seconds', positiveInt)
    .action(async (o: { run: number; workers: number; json?: boolean; timeout?: number }) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const rt = openRuntime(config, { poolSize: Math.max(config.poolSize, o.workers * 3 + 2) });
      const group = o.workers > 0 ? startWorkers(rt, { queues: [...QUEUES], concurrency: o.workers }) : null;
      try {
        const retried = await retryRun(rt, o.run);
        if (!o.json) process.stderr.write(`retrying run ${o.run}: ${retried.mode === 'jobs' ? 'failed jobs' : 'new flow'} ${retried.jobs.join(', ')}\n`);
        const progress = wantsProgress(o.json) ? watchRunProgress(rt.pool, o.run) : null;
        const waited = await waitForRunStatus(rt.pool, o.run, o.timeout ? { timeoutMs: o.timeout * 1000 } : {});
        await progress?.stop();
        const summary = (await buildSummary(rt.pool, o.run))!;
        process.stdout.write(o.json ? `${JSON.stringify({ ...summary, retry: retried })}\n` : `${formatSummary(summary)}\n`);
        setExit(waited === 'timeout' ? 1 : runExitCode(summary));
      } finally {
        await group?.close();
        await rt.close();
      }
    });
}
