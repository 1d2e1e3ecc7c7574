import { MetaLayerError } from './metalayer-error';

/** Input that breaks a source contract as a whole (a missing required column, an unreadable file). */
export class ContractError extends MetaLayerError {
  readonly retryable = false;
  readonly code = 'CONTRACT';
}
