import { StepError } from '../src/errors/step-error';
import { finishRun } from '../src/pipeline/finish-run';
import { goldIsReady, notReadyMessage, readRunReadiness } from '../src/pipeline/readiness';
import { runGoldStep, type StepResult } from '../src/pipeline/steps';
import { GoldPayload } from '../src/queue/payloads';
import type { JobKind } from './job-kind';

/** Builds gold for a run (sql/gold/*: dimensions and facts, then the aggregates side by side) once every silver step succeeded; ends the run. */
export const goldJob: JobKind<typeof GoldPayload, StepResult> = {
  queue: 'gold',
  schema: GoldPayload,
  async handler(rt, p) {
    const readiness = await readRunReadiness(rt.pool, p.runId);
    if (!goldIsReady(readiness)) throw new StepError(notReadyMessage(p.runId, 'gold', readiness));
    const result = await runGoldStep(rt.pool, rt.config.stepWorkMem, p.runId, rt.config.expectationsDir);
    await finishRun(rt.pool, p.runId);
    return result;
  },
  rowCounts: (r) => [{ source: 'all', layer: 'gold', outcome: 'changed', n: r.rows }],
};
