import type { Logger } from '../logger';

/** Resolves on the first SIGTERM or SIGINT: long-running commands then shut down gracefully. */
export function untilStopSignal(logger: Logger, message: string): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, message);
      resolve(signal);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
