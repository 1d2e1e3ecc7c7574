/**
 * Base of every MetaLayer error. `retryable` carries behaviour: the worker turns a
 * non-retryable error into BullMQ's UnrecoverableError so it never burns retries.
 */
export abstract class MetaLayerError extends Error {
  abstract readonly retryable: boolean;
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
