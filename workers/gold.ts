import { StepError } from '../src/errors/step-error';
import { runBronzeChecks } from '../src/pipeline/checks';
import { finishRun } from '../src/pipeline/finish-run';
import { dimensionsAreReady, goldIsReady, notReadyMessage, readRunReadiness } from '../src/pipeline/readiness';
import { runGoldDimensionsStep, runGoldStep, type StepResult } from '../src/pipeline/steps';
import { GoldPayload } from '../src/queue/payloads';
import type { JobKind } from './job-kind';

/**
 * The gold queue's two jobs of a run. The dimensions (part 'dimensions', sql/gold/dim_*.sql)
 * once their silver inputs succeeded; gold (dimensions if still due, facts, then the aggregates
 * side by side) once every silver step succeeded, which ends the run.
 */
export const goldJob: JobKind<typeof GoldPayload, StepResult> = {
  queue: 'gold',
  schema: GoldPayload,
  async handler(rt, p) {
    const readiness = await readRunReadiness(rt.pool, p.runId);
    if (p.part === 'dimensions') {
      if (!dimensionsAreReady(readiness)) throw new StepError(notReadyMessage(p.runId, 'gold dimensions', readiness));
      return runGoldDimensionsStep(rt.pool, rt.config.stepWorkMem, p.runId, rt.config.expectationsDir);
    }
    if (!goldIsReady(readiness)) throw new StepError(notReadyMessage(p.runId, 'gold', readiness));
    // Bronze is complete (every silver step succeeded): its checks run beside the gold step, on a
    // core the facts step leaves idle, instead of after it (src/pipeline/checks.ts).
    const bronze = runBronzeChecks(rt.pool, p.runId);
    bronze.catch(() => undefined); // awaited by finishRun; unheard when the gold step fails first
    const result = await runGoldStep(rt.pool, rt.config.stepWorkMem, p.runId, {
      expectationsDir: rt.config.expectationsDir,
      factIndexLanes: rt.config.factIndexLanes,
    });
    await finishRun(rt.pool, p.runId, { bronze });
    return result;
  },
  rowCounts: (r) => [{ source: 'all', layer: 'gold', outcome: 'changed', n: r.rows }],
};
