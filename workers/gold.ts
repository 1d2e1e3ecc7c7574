import { StepError } from '../src/errors/step-error';
import { BRONZE_CHECK_FILES, DIMENSION_CHECK_FILES, startChecks } from '../src/pipeline/checks';
import { finishRun } from '../src/pipeline/finish-run';
import { startSalesRunIndex } from '../src/pipeline/sales-run-index';
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
    // Bronze is complete (every silver step succeeded): its checks run beside the gold step, and
    // the dimensions' once the step has them, on a core the facts step leaves idle, instead of
    // after the aggregates (src/pipeline/checks.ts).
    const ahead = [startChecks(rt.pool, p.runId, BRONZE_CHECK_FILES)];
    // The order lines' run index, left by a first load's silver step to this job (migration 039;
    // else a catalog lookup), built beside the facts step once the step holds its connection.
    let runIndex: Promise<boolean> | undefined;
    try {
      const result = await runGoldStep(rt.pool, rt.config.stepWorkMem, p.runId, {
        expectationsDir: rt.config.expectationsDir,
        factIndexLanes: rt.config.factIndexLanes,
        onDimensions: () => {
          ahead.push(startChecks(rt.pool, p.runId, DIMENSION_CHECK_FILES));
          runIndex = startSalesRunIndex(rt.pool, rt.logger);
        },
      });
      await finishRun(rt.pool, p.runId, { ahead });
      return result;
    } finally {
      await runIndex; // never rejects; not left running past the job
    }
  },
  rowCounts: (r) => [{ source: 'all', layer: 'gold', outcome: 'changed', n: r.rows }],
};
