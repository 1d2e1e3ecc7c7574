import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/env';
import { migrate } from '../../src/migrate/migrator';
import { openRuntime, type Runtime } from '../../src/runtime';

export interface TestEnv {
  config: Config;
  rt: Runtime;
  databaseUrl: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  tmp: string;
  cleanup(): Promise<void>;
}

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A database and a queue prefix of this test file's own, migrated (up to opts.migrateUpTo when
 * given: an older release's database), with a runtime on them.
 * cleanup() closes the pool, drops the database, deletes the prefix's Redis keys and the temp dir.
 */
export async function createTestEnv(tag: string, overrides: Record<string, string> = {}, opts: { migrateUpTo?: number } = {}): Promise<TestEnv> {
  const id = `${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/mlt_${id}`;
  const prefix = `{mlt-${id}}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    METALAYER_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    METALAYER_BACKOFF_MS: '100',
    // Worker processes of one test would share the default /metrics port; tests that scrape pick their own.
    METALAYER_METRICS_PORT: '0',
    ...overrides,
  };
  const config = loadConfig(env);
  await migrate(databaseUrl, { upTo: opts.migrateUpTo });
  const rt = openRuntime(config, { poolSize: 8 });
  const tmp = mkdtempSync(path.join(os.tmpdir(), `metalayer-${tag}-`));
  return {
    config,
    rt,
    databaseUrl,
    prefix,
    env,
    tmp,
    async cleanup() {
      await rt.close();
      await dropDatabase(databaseUrl);
      await deleteQueueKeys(config.redisUrl, prefix);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

/** Removes every Redis key under a queue prefix (the test's queues, jobs and events). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  // One attempt, no reconnection: a test's own Redis may already be gone (its keys with it).
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    return 0;
  }
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
