import { MetaLayerError } from './metalayer-error';

/**
 * The retryable-versus-permanent table for errors that do not come from MetaLayer itself.
 * PostgreSQL SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);
/** SQLSTATE classes that are transient as a whole: connection exceptions, insufficient resources. */
const RETRYABLE_SQLSTATE_CLASSES = ['08', '53'];

const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const RETRYABLE_MESSAGES = [
  /Connection terminated/i,
  /connection.*(closed|lost|ended)/i,
  /Client has encountered a connection error/i,
  /timeout exceeded when trying to connect/i,
];

export function isRetryable(err: unknown): boolean {
  if (err instanceof MetaLayerError) return err.retryable;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (RETRYABLE_SQLSTATES.has(code)) return true;
    if (code.length === 5 && RETRYABLE_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
    if (RETRYABLE_NODE_CODES.has(code)) return true;
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && RETRYABLE_MESSAGES.some((re) => re.test(message));
}
