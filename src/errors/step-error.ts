import { MetaLayerError } from './metalayer-error';

/** A SQL step of silver or gold failed for a reason that a retry will not fix (bad data, bad SQL). */
export class StepError extends MetaLayerError {
  readonly retryable = false;
  readonly code = 'STEP';
}
