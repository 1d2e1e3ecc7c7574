import type pg from 'pg';
import { discardClient, withClient, type Pool } from '../db/pool';

/** Serialises the same step across concurrent runs (upserts of one table never interleave). */
export const STEP_LOCK_NAMESPACE = 727_100;

/** Holds the gold lock (a session lock: it spans several transactions) while fn runs on `lead`. */
export async function underGoldLock<T>(pool: Pool, fn: (lead: pg.PoolClient) => Promise<T>): Promise<T> {
  return withGoldLock(pool, 'exclusive', fn);
}

/**
 * Holds the gold lock shared while fn runs on `lead`: no run's gold step is part-way meanwhile (its
 * facts committed and its aggregates not yet, say), while readers of the whole warehouse, such as
 * several runs' end-of-run checks, may overlap. Waits for a gold step that holds it; a gold step
 * waits for the readers. fn must not wait for a pooled connection (the lock is held meanwhile):
 * inLanes (src/db/lanes.ts) takes only the free ones.
 */
export async function underGoldLockShared<T>(pool: Pool, fn: (lead: pg.PoolClient) => Promise<T>): Promise<T> {
  return withGoldLock(pool, 'shared', fn);
}

async function withGoldLock<T>(pool: Pool, mode: 'exclusive' | 'shared', fn: (lead: pg.PoolClient) => Promise<T>): Promise<T> {
  const [lock, unlock] = mode === 'shared' ? ['pg_advisory_lock_shared', 'pg_advisory_unlock_shared'] : ['pg_advisory_lock', 'pg_advisory_unlock'];
  return withClient(pool, async (lead) => {
    // Released with the connection if this worker dies.
    await lead.query(`select ${lock}($1, hashtext($2))`, [STEP_LOCK_NAMESPACE, 'gold']);
    try {
      return await fn(lead);
    } finally {
      // A connection that may still hold the lock must not go back to the pool.
      await lead.query(`select ${unlock}($1, hashtext($2))`, [STEP_LOCK_NAMESPACE, 'gold']).catch(() => discardClient(lead));
    }
  });
}
