import type pg from 'pg';
import { loadSql } from '../db/sql-files';
import { isRetryable } from '../errors/classify';
import { StepError } from '../errors/step-error';

/** Runs a multi-statement SQL file; returns the last statement's first row. Names the file on error. */
export async function runScript(client: pg.ClientBase, file: string, label: string): Promise<Record<string, unknown> | undefined> {
  return (await runScriptResults(client, file, label)).at(-1)?.rows?.[0];
}

/** Runs a multi-statement SQL file; returns every statement's result, in order. Names the file on error. */
export async function runScriptResults(client: pg.ClientBase, file: string, label: string): Promise<pg.QueryResult[]> {
  try {
    const res = (await client.query(loadSql(file))) as unknown as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(res) ? res : [res];
  } catch (err) {
    throw asStepError(err, `${label} (sql/${file})`);
  }
}

/** Runs one statement given by the database (e.g. a catalog-built DDL statement); names `what` on error. */
export async function runStatement(client: pg.ClientBase, sql: string, what: string): Promise<pg.QueryResult> {
  try {
    return await client.query(sql);
  } catch (err) {
    throw asStepError(err, what);
  }
}

/** A permanent error named after what failed; a retryable one (connection, deadlock) as it is. */
function asStepError(err: unknown, what: string): unknown {
  if (isRetryable(err)) return err;
  const e = err as { message: string; code?: string; detail?: string };
  return new StepError(`${what} failed: ${e.message}${e.code ? ` [SQLSTATE ${e.code}]` : ''}${e.detail ? ` — ${e.detail}` : ''}`, { cause: err });
}
