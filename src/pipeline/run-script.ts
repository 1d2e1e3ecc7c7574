import type pg from 'pg';
import { loadSql } from '../db/sql-files';
import { isRetryable } from '../errors/classify';
import { StepError } from '../errors/step-error';

/** Runs a multi-statement SQL file; returns the last statement's first row. Names the file on error. */
export async function runScript(client: pg.ClientBase, file: string, label: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = (await client.query(loadSql(file))) as unknown as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(res) ? res.at(-1) : res;
    return last?.rows?.[0];
  } catch (err) {
    throw asStepError(err, `${label} (sql/${file})`);
  }
}

/** A permanent error named after what failed; a retryable one (connection, deadlock) as it is. */
export function asStepError(err: unknown, what: string): unknown {
  if (isRetryable(err)) return err;
  const e = err as { message: string; code?: string; detail?: string };
  return new StepError(`${what} failed: ${e.message}${e.code ? ` [SQLSTATE ${e.code}]` : ''}${e.detail ? ` — ${e.detail}` : ''}`, { cause: err });
}
