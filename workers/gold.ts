import { finishRun } from '../src/pipeline/finish-run';
import { runGoldStep } from '../src/pipeline/steps';
import { GoldPayload } from '../src/queue/payloads';
import type { JobKind } from './job-kind';

/** Builds gold for a run (sql/gold/*, one transaction), then checks the invariants and ends the run. */
export const goldJob: JobKind<typeof GoldPayload> = {
  queue: 'gold',
  schema: GoldPayload,
  async handler(rt, p) {
    const result = await runGoldStep(rt.pool, rt.config.stepWorkMem, p.runId);
    await finishRun(rt.pool, p.runId);
    return result;
  },
};
