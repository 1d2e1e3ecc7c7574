import type { Redis } from 'ioredis';
import type { Pool } from '../db/pool';

export interface Health {
  ok: boolean;
  postgres: 'ok' | string;
  redis: 'ok' | string;
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))),
  ]);
}

/** PostgreSQL and Redis each answer a trivial query within the timeout, or the reason why not. */
export async function checkHealth(pool: Pool, redis: Redis, timeoutMs = 2000): Promise<Health> {
  const [pg, rd] = await Promise.allSettled([
    within(timeoutMs, 'PostgreSQL', pool.query('select 1')),
    within(timeoutMs, 'Redis', redis.ping()),
  ]);
  const reason = (r: PromiseSettledResult<unknown>): string => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message);
  return { ok: pg.status === 'fulfilled' && rd.status === 'fulfilled', postgres: reason(pg), redis: reason(rd) };
}
