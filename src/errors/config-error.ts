import { MetaLayerError } from './metalayer-error';

/** Bad configuration or arguments: retrying cannot help. */
export class ConfigError extends MetaLayerError {
  readonly retryable = false;
  readonly code = 'CONFIG';
}
