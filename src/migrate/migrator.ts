import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SQL_ROOT } from '../db/sql-files';
import { ensureDatabase, withDefaultUser } from '../db/pool';
import { ConfigError } from '../errors/config-error';

/** Arbitrary but fixed: every MetaLayer process that migrates takes this advisory lock. */
const MIGRATION_LOCK_KEY = 727_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = path.join(SQL_ROOT, 'migrations')): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new ConfigError(`migration file ${file} must be named NNN_name.sql`);
    const version = Number(m[1]);
    if (seen.has(version)) throw new ConfigError(`two migrations share the number ${m[1]}`);
    seen.add(version);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    return { version, name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
  /** The database's LC_COLLATE: "C" when MetaLayer created it (ensureDatabase); why it matters there. */
  collation: string;
}

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock so that
 * any number of processes can migrate at once. An applied migration whose file changed since is
 * refused: migrations are append-only.
 */
export async function migrate(databaseUrl: string, opts: { upTo?: number } = {}): Promise<MigrateResult> {
  await ensureDatabase(databaseUrl);
  // upTo: stop after that version (tests of an upgrade from a database an older release made).
  const migrations = readMigrations().filter((m) => opts.upTo === undefined || m.version <= opts.upTo);
  const client = new pg.Client({ connectionString: withDefaultUser(databaseUrl), application_name: 'metalayer-migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`create schema if not exists meta`);
    await client.query(`create table if not exists meta.schema_migrations (
      version int primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'select version, name, checksum from meta.schema_migrations order by version',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const m of migrations) {
      const prior = done.get(m.version);
      if (prior && prior.checksum !== m.checksum) {
        throw new ConfigError(
          `migration ${m.version}_${m.name} was edited after it was applied (checksum differs); ` +
            'migrations are append-only: revert the edit and add a new numbered migration',
        );
      }
    }
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into meta.schema_migrations (version, name, checksum) values ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new ConfigError(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
    }
    const collation = (await client.query<{ c: string }>('select datcollate as c from pg_database where datname = current_database()')).rows[0]!.c;
    return { applied, alreadyApplied: migrations.length - applied.length, collation };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
