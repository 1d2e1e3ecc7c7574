import { runExitCode } from '../pipeline/run-pipeline';
import { buildSummary, type RunSummary } from '../pipeline/summary';
import { waitForRunStatus } from '../pipeline/wait-status';
import { QUEUES } from '../queue/names';
import type { Runtime } from '../runtime';
import { startWorkers } from '../../workers/start-workers';
import type { SetExit } from './arguments';
import { formatSummary } from './print-summary';
import { wantsProgress, watchRunProgress } from './progress';
import { withRuntime } from './with-runtime';

export interface ResumeOptions {
  run: number;
  workers: number;
  json?: boolean;
  timeout?: number;
}

/**
 * What `retry` and `replay` share: optionally serve the queues in this process, set an existing
 * run going again (`start`), wait until meta.runs says it settled, print the summary (with what
 * `start` returned under `key`; `note` adds a readable line) and set the exit code.
 */
export async function resumeAndWait<T extends object>(
  o: ResumeOptions,
  setExit: SetExit,
  key: string,
  start: (rt: Runtime) => Promise<{ info: T; announce?: string }>,
  note?: (rt: Runtime, info: T, summary: RunSummary) => Promise<{ info: T; line?: string }>,
): Promise<void> {
  await withRuntime(
    async (rt) => {
      const group = o.workers > 0 ? startWorkers(rt, { queues: [...QUEUES], concurrency: o.workers }) : null;
      try {
        const started = await start(rt);
        if (!o.json && started.announce) process.stderr.write(`${started.announce}\n`);
        const progress = wantsProgress(o.json) ? watchRunProgress(rt.pool, o.run) : null;
        const waited = await waitForRunStatus(rt.pool, o.run, o.timeout ? { timeoutMs: o.timeout * 1000 } : {});
        await progress?.stop();
        const summary = (await buildSummary(rt.pool, o.run))!;
        const extra = note ? await note(rt, started.info, summary) : { info: started.info };
        process.stdout.write(o.json ? `${JSON.stringify({ ...summary, [key]: extra.info })}\n` : `${formatSummary(summary)}\n${extra.line ? `${extra.line}\n` : ''}`);
        setExit(waited === 'timeout' ? 1 : runExitCode(summary));
      } finally {
        await group?.close();
      }
    },
    (configured) => Math.max(configured, o.workers * 3 + 2),
  );
}
