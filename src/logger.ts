import pino from 'pino';
import { redact } from './errors/redact';

/**
 * One logger, JSON lines on stderr (stdout stays free for command output such as `run --json`).
 * Child loggers carry {runId, queue, jobId}. Every string is passed through redact() so that a
 * connection-string password never reaches a log line.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination: pino.DestinationStream = pino.destination(2)): pino.Logger {
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
          // Top-level string fields too: a URL logged as {database: url} loses its password.
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' ? redact(v) : v;
          const err = obj.err as { message?: unknown; type?: unknown; code?: unknown } | undefined;
          if (err && typeof err === 'object') {
            const message = typeof err.message === 'string' ? redact(err.message) : undefined;
            out.err = { type: err.type, code: err.code, message };
          }
          return out;
        },
      },
    },
    destination,
  );
}

export type Logger = pino.Logger;
