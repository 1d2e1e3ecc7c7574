import { startWorkers } from '../../workers/start-workers';
import { QUEUES } from '../queue/names';
import type { Runtime } from '../runtime';
import { startRun } from './start-run';
import { buildSummary, type RunSummary } from './summary';
import { waitForRun } from './wait-run';

export interface RunOptions {
  inputDir: string;
  asOf: string;
  /** Workers to run in this process (0: other processes serve the queues). */
  workers: number;
  timeoutMs?: number;
  /** Called once the run is recorded (before waiting), e.g. to draw progress. */
  onStarted?: (runId: number) => void;
}

/** `metalayer run`: schedule a run, optionally serve it in-process, wait, and summarise it. */
export async function runPipeline(rt: Runtime, opts: RunOptions): Promise<RunSummary> {
  const group = opts.workers > 0 ? startWorkers(rt, { queues: [...QUEUES], concurrency: opts.workers }) : null;
  try {
    const started = await startRun(rt, { inputDir: opts.inputDir, asOf: opts.asOf });
    if (started.enqueued) opts.onStarted?.(started.runId);
    if (started.enqueued && started.flowJobId) await waitForRun(rt, started.runId, started.flowJobId, opts.timeoutMs);
    const summary = await buildSummary(rt.pool, started.runId);
    if (!summary) throw new Error(`run ${started.runId} vanished from meta.runs`);
    return summary;
  } finally {
    await group?.close();
  }
}

/** A run's exit status: 0 only when it succeeded (or had nothing to do) and every check passed. */
export function runExitCode(summary: RunSummary): number {
  const ok = summary.status === 'succeeded' || summary.status === 'noop';
  return ok && summary.checks.every((c) => c.passed) ? 0 : 1;
}
