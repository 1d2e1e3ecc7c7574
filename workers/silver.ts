import { RETAIL_SOURCES } from '../src/contracts/retail';
import { ConfigError } from '../src/errors/config-error';
import { runSilverStep } from '../src/pipeline/steps';
import { SilverPayload } from '../src/queue/payloads';
import type { JobKind } from './job-kind';

/** Cleans one entity of a run into silver (sql/silver/<entity>.sql). */
export const silverJob: JobKind<typeof SilverPayload> = {
  queue: 'silver',
  schema: SilverPayload,
  async handler(rt, p) {
    const source = RETAIL_SOURCES.find((s) => s.entity === p.entity);
    if (!source) throw new ConfigError(`no source feeds silver entity ${p.entity}`);
    return runSilverStep(rt.pool, rt.config.stepWorkMem, p.runId, p.entity, source.name);
  },
};
