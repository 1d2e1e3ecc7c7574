import { MetaLayerError } from './metalayer-error';

/** A failure that a later attempt may not meet: lost connection, deadlock, serialization failure. */
export class TransientError extends MetaLayerError {
  readonly retryable = true;
  readonly code = 'TRANSIENT';
}
