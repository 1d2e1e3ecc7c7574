import type pg from 'pg';
import { currentSettings } from '../../src/db/settings';

export { currentSettings };

/**
 * Watches `client` for statements whose text matches `sent`: just before each is sent, runs
 * `probe` on the same connection (so it sees what that statement will see), given the text's match.
 * `stop()` puts the client's own query method back.
 */
export function whenSent<T>(client: pg.ClientBase, sent: RegExp, probe: (c: pg.ClientBase, match: RegExpMatchArray) => Promise<T>): { seen: T[]; stop: () => void } {
  const seen: T[] = [];
  const own = client.query;
  const hadOwn = Object.prototype.hasOwnProperty.call(client, 'query');
  const query = own.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  (client as { query: unknown }).query = async (...args: unknown[]) => {
    // (probe calls client.query, which is this function: its statements must not match `sent`.)
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    const match = text?.match(sent);
    if (match) seen.push(await probe(client, match));
    return query(...args);
  };
  const stop = (): void => {
    if (hadOwn) (client as { query: unknown }).query = own;
    else delete (client as { query?: unknown }).query; // the prototype's again
  };
  return { seen, stop };
}

/** whenSent reading the named settings: those the statement will run with. */
export function settingsWhenSent(client: pg.ClientBase, sent: RegExp, names: string[]): { seen: Record<string, string>[]; stop: () => void } {
  return whenSent(client, sent, (c) => currentSettings(c, names));
}

/**
 * whenSent on every connection `pool` lends by `pool.connect()` until `stop()` (pool.query()'s
 * own clients, taken with a callback, pass unwatched: bookkeeping, not scripts). A client the pool
 * lends again is watched once. `seen`: every probe's result, in the order the probes ran.
 */
export function whenSentOnPool<T>(pool: pg.Pool, sent: RegExp, probe: (c: pg.ClientBase, match: RegExpMatchArray) => Promise<T>): { seen: T[]; stop: () => void } {
  const seen: T[] = [];
  const stops: (() => void)[] = [];
  const connect = pool.connect.bind(pool) as (cb?: unknown) => Promise<pg.PoolClient> | undefined;
  const watching = new WeakSet<pg.PoolClient>();
  const watched = async (pending: Promise<pg.PoolClient>): Promise<pg.PoolClient> => {
    const client = await pending;
    if (watching.has(client)) return client;
    watching.add(client);
    stops.push(whenSent(client, sent, async (c, match) => {
      const result = await probe(c, match);
      seen.push(result);
      return result;
    }).stop);
    return client;
  };
  (pool as { connect: unknown }).connect = (cb?: unknown) => (typeof cb === 'function' ? connect(cb) : watched(connect()!));
  const stop = (): void => {
    delete (pool as { connect?: unknown }).connect;
    for (const s of stops.reverse()) s();
  };
  return { seen, stop };
}
