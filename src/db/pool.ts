import pg from 'pg';
import { redact } from '../errors/redact';
import { quoteIdent } from './ident';

// int8 and numeric come back as strings by default; counts and ids here fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
// Dates stay 'YYYY-MM-DD' strings: no time-zone shifts between the database and reports.
pg.types.setTypeParser(1082, (v) => v);

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * A URL without a user name connects as PGUSER, else `postgres`: the superuser of a fresh
 * cluster, which exists on every machine the README targets (the OS user may have no role).
 */
export function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username) return databaseUrl;
  url.username = process.env.PGUSER || 'postgres';
  return url.toString();
}

export function createPool(databaseUrl: string, max = 4): pg.Pool {
  // The process id in application_name tells an operator (pg_stat_activity) which worker runs what.
  // JIT off for every statement, not only inside the steps (applyStepSettings): the planner prices
  // a query by its tables' sizes, so the small ones of a small day against a big warehouse (the
  // end-of-run checks, the summary) cross jit_above_cost and spend most of their time compiling.
  // Measured at seed scale after a 1 % day: bronze conservation 1.0 s with JIT, 0.14 s without.
  const pool = new pg.Pool({
    connectionString: withDefaultUser(databaseUrl),
    max,
    application_name: `metalayer/${process.pid}`,
    options: '-c jit=off',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Clients whose connection died during a rollback: never returned to the pool. */
const brokenClients = new WeakSet<pg.ClientBase>();

/** Never returns this client to the pool (e.g. it may still hold a session lock it could not release). */
export function discardClient(client: pg.ClientBase): void {
  brokenClients.add(client);
}

/** Connections the pool can lend right now without waiting (idle ones, and room to open more). */
export function freeConnections(pool: pg.Pool): number {
  return Math.max(0, (pool.options.max ?? 10) - pool.totalCount + pool.idleCount);
}

/**
 * Lends fn a pooled client and returns it afterwards; a client whose connection was lost
 * (server restart, pg_terminate_backend) is discarded, not pooled again.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A connection lost mid-query reaches the running query as its error; the client also emits
  // 'error', which must not crash the process.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } finally {
    client.off('error', onError);
    client.release(broken || brokenClients.has(client));
  }
}

/** Runs fn inside BEGIN … COMMIT on the given client; rolls back on any error and rethrows it. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  try {
    await client.query('begin');
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    try {
      await client.query('rollback');
    } catch {
      brokenClients.add(client); // the connection itself is gone: do not return it to the pool
    }
    throw err;
  }
}

/** Runs fn inside BEGIN … COMMIT on one pooled client; rolls back on any error and rethrows it. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, (client) => inTransaction(client, () => fn(client)));
}

/**
 * Creates the database named in the URL when it does not exist, connecting to `postgres`, with
 * text compared bytewise (LC_COLLATE "C"; character classes stay the server's). Keys like order
 * numbers are compared in every index build, sort and lookup; under a libc locale each comparison
 * is a strcoll() call without abbreviated keys. Measured at seed scale on the 7.5 M order lines:
 * the silver primary key's build 9.4 s → 5.1 s, the facts' 8.2–8.4 s → 5.8–7.3 s. Equality is
 * unchanged, and so is the order under C.UTF-8 (code points); under a language locale ORDER BY
 * on text becomes code point order (uppercase before lowercase).
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  databaseUrl = withDefaultUser(databaseUrl);
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') {
      throw new Error(`cannot connect to PostgreSQL at ${redact(databaseUrl)}: ${(err as Error).message}`, { cause: err });
    }
  } finally {
    await probe.end().catch(() => {});
  }
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${quoteIdent(name)} template template0 encoding 'UTF8' lc_collate 'C'`);
  } catch (err) {
    // 42P04: another process created it first.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
}
