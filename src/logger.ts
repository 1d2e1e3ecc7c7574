import pino from 'pino';
import { redact } from './errors/redact';

/**
 * One logger, JSON lines on stderr (stdout stays free for command output such as `run --json`).
 * Child loggers carry {runId, queue, jobId}. Every string is passed through redact() so that a
 * connection-string password never reaches a log line.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): pino.Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(obj) {
          const err = obj.err as { message?: unknown; type?: unknown; code?: unknown } | undefined;
          if (err && typeof err === 'object') {
            const message = typeof err.message === 'string' ? redact(err.message) : undefined;
            return { ...obj, err: { type: err.type, code: err.code, message } };
          }
          return obj;
        },
      },
    },
    pino.destination(2),
  );
}

export type Logger = pino.Logger;
