import type pg from 'pg';
import { expect } from 'vitest';

/** Runs fn in a transaction on a pooled connection and rolls it back: fn's result, nothing kept. */
export async function inRolledBackTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('begin');
    try {
      return await fn(c);
    } finally {
      await c.query('rollback');
    }
  } finally {
    c.release();
  }
}

/** n connections at once from the pool all answer: none was handed back broken (e.g. mid-COPY). */
export async function expectPoolUsable(pool: pg.Pool, n = 8): Promise<void> {
  const idle = await Promise.all(Array.from({ length: n }, () => pool.connect()));
  try {
    for (const c of idle) expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
  } finally {
    for (const c of idle) c.release();
  }
}
