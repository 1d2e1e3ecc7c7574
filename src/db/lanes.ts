import type pg from 'pg';
import { freeConnections, withClient, type Pool } from './pool';

/**
 * Runs fn for every item, on `lead` and on as many more pooled connections as the pool has free
 * now (one per item at most, and `opts.lanes` connections in all at most: a lane never waits for
 * a connection another job holds). Items are taken in order, each by the first lane free. fn is
 * told how many lanes there are. Every lane finishes its item before this returns; the first
 * error is rethrown.
 */
export async function inLanes<T>(
  pool: Pool,
  lead: pg.PoolClient,
  items: readonly T[],
  fn: (client: pg.PoolClient, item: T, lanes: number) => Promise<unknown>,
  opts: { lanes?: number } = {},
): Promise<void> {
  const queue = [...items];
  const extraLanes = Math.max(0, Math.min(items.length - 1, freeConnections(pool), (opts.lanes ?? Infinity) - 1));
  const errors: unknown[] = [];
  const lane = async (client: pg.PoolClient): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await fn(client, item, 1 + extraLanes);
      } catch (err) {
        errors.push(err);
        return; // this connection may be gone; the other lanes take the rest
      }
    }
  };
  const extra = Array.from({ length: extraLanes }, () => withClient(pool, lane));
  await Promise.allSettled([lane(lead), ...extra]);
  if (errors.length > 0) throw errors[0];
}
