import type { JobsOptions } from 'bullmq';
import type { Config } from '../config/env';
import { DEFAULTS } from '../config/defaults';

/** Options every MetaLayer job carries: retries with exponential backoff and jitter. */
export function defaultJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: config.backoffMs, jitter: DEFAULTS.job.backoff.jitter },
    removeOnComplete: { ...DEFAULTS.job.removeOnComplete },
    removeOnFail: { ...DEFAULTS.job.removeOnFail },
  };
}
