import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/env';
import { retryRun } from '../pipeline/retry-run';
import { createRedis } from '../queue/connection';
import { openRuntime } from '../runtime';
import { startScheduler } from '../scheduler/scheduler';
import { checkHealth } from '../server/health';
import { nonNegativeInt, positiveInt, type SetExit } from './arguments';
import { resumeAndWait, type ResumeOptions } from './resume-and-wait';
import { untilStopSignal } from './signals';
import { withRuntime } from './with-runtime';

/** The long-running services besides the worker (server, scheduler) and run repair (retry). */
export function registerOperationsCommands(program: Command, setExit: SetExit): void {
  program
    .command('server')
    .description('Bull Board at /admin/queues, /metrics, /healthz and the read API at /api')
    .option('--port <n>', 'port (default METALAYER_SERVER_PORT or 3000; 0: any free port)', nonNegativeInt)
    .option('--host <addr>', 'address to listen on when a login is configured', '0.0.0.0')
    .action((o: { port?: number; host: string }) =>
      withRuntime(async (rt) => {
        // Loaded here, not at the top: Express and Bull Board cost every other command 0.2 s of start-up.
        const { startServer } = await import('../server/start-server');
        const server = await startServer(rt, { port: o.port ?? rt.config.serverPort, host: o.host });
        await untilStopSignal(rt.logger, 'server stopping');
        await server.close();
      }, 4),
    );

  program
    .command('scheduler')
    .description('periodic runs: a BullMQ job scheduler scans the landing folder on a cron schedule')
    .requiredOption('--input <dir>', 'landing folder to scan (sub-folders included)')
    .requiredOption('--cron <expr>', 'cron expression, e.g. "*/5 * * * *" (6 fields: seconds first)')
    .action((o: { input: string; cron: string }) =>
      withRuntime(async (rt) => {
        const scheduler = await startScheduler(rt, { inputDir: path.resolve(o.input), cron: o.cron });
        await untilStopSignal(rt.logger, 'scheduler stopping');
        await scheduler.close();
      }, 3),
    );

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
    .action((o: ResumeOptions) =>
      resumeAndWait(o, setExit, 'retry', async (rt) => {
        const retried = await retryRun(rt, o.run);
        return { info: retried, announce: `retrying run ${o.run}: ${retried.mode === 'jobs' ? 'failed jobs' : 'new flow'} ${retried.jobs.join(', ')}` };
      }),
    );
}
