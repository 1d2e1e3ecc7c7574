import { RETAIL_SOURCES } from '../src/contracts/retail';
import { ConfigError } from '../src/errors/config-error';
import { StepError } from '../src/errors/step-error';
import { biggerSilverNotStarted, notReadyMessage, readRunReadiness, referencedSilverNotDone, runIsRunning, silverIsReady } from '../src/pipeline/readiness';
import { layerReferences, loadExpectations } from '../src/quality/expectations';
import { runSilverStep, type StepResult } from '../src/pipeline/steps';
import { SilverPayload } from '../src/queue/payloads';
import { DeferJob } from './defer-job';
import type { JobKind } from './job-kind';

/** How long a silver job waits for a bigger one of its run to start (a moment: it is queued first). */
const BIGGER_FIRST_WAIT_MS = 100;

/** Cleans one entity of a run into silver (sql/silver/<entity>.sql), once its chunks are all loaded. */
export const silverJob: JobKind<typeof SilverPayload, StepResult & { source: string }> = {
  queue: 'silver',
  schema: SilverPayload,
  async handler(rt, p) {
    const source = RETAIL_SOURCES.find((s) => s.entity === p.entity);
    if (!source) throw new ConfigError(`no source feeds silver entity ${p.entity}`);
    const readiness = await readRunReadiness(rt.pool, p.runId);
    if (!silverIsReady(readiness, p.entity)) throw new StepError(notReadyMessage(p.runId, `silver ${p.entity}`, readiness));
    // What this step's expectations check its rows against is built first (see silverOrder).
    const references = layerReferences(loadExpectations('silver', rt.config.expectationsDir));
    const referenced = referencedSilverNotDone(readiness, p.entity, references);
    if (referenced && (await runIsRunning(rt.pool, p.runId))) {
      throw new DeferJob(BIGGER_FIRST_WAIT_MS, `silver ${p.entity} of run ${p.runId} waits for silver ${referenced}, which its expectations read`);
    }
    // Biggest first (see silverOrder): the longest step of the layer must not start last.
    const bigger = p.replay ? undefined : biggerSilverNotStarted(readiness, p.entity, references);
    if (bigger && (await runIsRunning(rt.pool, p.runId))) {
      throw new DeferJob(BIGGER_FIRST_WAIT_MS, `silver ${p.entity} of run ${p.runId} lets the bigger silver ${bigger} start first`);
    }
    const result = await runSilverStep(rt.pool, rt.config.stepWorkMem, p.runId, p.entity, source.name, {
      ...(rt.config.expectationsDir ? { expectationsDir: rt.config.expectationsDir } : {}),
      replay: p.replay === true,
      salesReadWorkers: rt.config.salesReadWorkers,
    });
    return { ...result, source: source.name };
  },
  rowCounts: (result) => [{ source: result.source, layer: 'silver', outcome: 'changed', n: result.rows }],
};
