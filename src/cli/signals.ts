import type { Logger } from '../logger';

/**
 * Resolves on the first SIGTERM or SIGINT: long-running commands then shut down gracefully.
 * `onSignal` runs at the signal itself, before the message is logged and before anything else
 * the event loop has queued (e.g. a worker group told to start no more jobs).
 */
export function untilStopSignal(logger: Logger, message: string, onSignal?: () => void): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      onSignal?.();
      logger.info({ signal }, message);
      resolve(signal);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
