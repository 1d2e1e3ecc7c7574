import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { migrate, readMigrations } from '../../src/migrate/migrator';
import { createRedis } from '../../src/queue/connection';
import { runCli, startCli } from '../helpers/processes';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The command-line contract, with workers as separate OS processes.

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('cli', { METALAYER_CHUNK_BYTES: String(32 * 1024) });
});
afterAll(async () => t?.cleanup());

const cli = (args: string[]) => runCli(t.env, args);
const startWorker = () => startCli(t.env, ['worker', '--concurrency', '2']);

describe('metalayer CLI', () => {
  it('generate writes the six files and a manifest', async () => {
    const r = await cli(['generate', '--out', path.join(t.tmp, 'in'), '--customers', '1500', '--seed', '4', '--as-of', '2025-03-31']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote [\d,]+ rows in 6 files/);
  });

  it('run --json with two separate worker processes prints the contract object and exits 0', async () => {
    const workers = [startWorker(), startWorker()];
    await Promise.all(workers.map((w) => w.waitForLog(/worker started/)));
    const r = await cli(['run', '--input', path.join(t.tmp, 'in'), '--as-of', '2025-03-31', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ runId: expect.any(Number), status: 'succeeded' });
    expect(out.files).toHaveLength(6);
    for (const f of out.files) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['source', 'path', 'rowsRead', 'rowsLoaded', 'rowsRejected']));
      expect(f.rowsRead).toBe(f.rowsLoaded + f.rowsRejected);
    }
    for (const layer of ['bronze', 'silver', 'gold']) expect(out.layers[layer]).toEqual({ rows: expect.any(Number), ms: expect.any(Number) });
    expect(out.checks.length).toBeGreaterThanOrEqual(6);
    expect(out.checks.every((c: { name: string; passed: boolean; detail: unknown }) => c.passed && typeof c.name === 'string')).toBe(true);
    // Both worker processes took bronze chunks.
    const loaders = (await t.rt.pool.query(`select count(*)::int as chunks, count(distinct loaded_by)::int as processes from meta.chunks`)).rows[0];
    expect(loaders.chunks).toBeGreaterThan(10);
    expect(loaders.processes).toBe(2);
    // BullMQ records the same process with each job it ran (`processedBy`, src/queue/worker-id.ts).
    const connection = createRedis(t.rt.config.redisUrl);
    const bronze = new Queue('bronze', { connection, prefix: t.rt.config.queuePrefix });
    try {
      const jobs = await bronze.getJobs(['completed'], 0, -1);
      expect(jobs.length).toBe(loaders.chunks);
      const ledger = (await t.rt.pool.query(`select distinct loaded_by from meta.chunks order by 1`)).rows.map((r) => r.loaded_by);
      expect([...new Set(jobs.map((j) => j.processedBy))].sort()).toEqual(ledger);
      expect(ledger.every((w: string) => /^[^:]+:\d+$/.test(w))).toBe(true);
    } finally {
      await bronze.close();
      connection.disconnect();
    }

    // SIGTERM: each worker stops taking jobs and exits 0.
    expect(await Promise.all(workers.map((w) => w.stop('SIGTERM')))).toEqual([0, 0]);
  });

  it('a second run of the same files is a no-op, says so, and status shows the runs', async () => {
    const r = await cli(['run', '--input', path.join(t.tmp, 'in'), '--as-of', '2025-03-31', '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NOOP/);
    expect(r.stdout).toMatch(/nothing new: all 6 file\(s\) were already loaded/);
    const s = await cli(['status']);
    expect(s.stdout).toMatch(/run 1 +succeeded/);
    expect(s.stdout).toMatch(/run 2 +noop/);
  });

  it('refuses bad arguments and a missing folder with a clear message and a non-zero exit', async () => {
    const missing = await cli(['run', '--input', path.join(t.tmp, 'nope'), '--workers', '1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/input folder .*nope does not exist/);
    const badDate = await cli(['run', '--input', t.tmp, '--as-of', '31.03.2025']);
    expect(badDate.code).not.toBe(0);
    expect(badDate.stderr).toMatch(/expected a date YYYY-MM-DD/);
  });

  it('run --timeout with no worker serving the queues stops waiting, leaves the run running, exits 1', async () => {
    const dir = path.join(t.tmp, 'waiting');
    await cli(['generate', '--out', dir, '--customers', '50', '--seed', '99', '--as-of', '2025-03-31']);
    const r = await cli(['run', '--input', dir, '--as-of', '2025-03-31', '--timeout', '1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).status).toBe('running');
  });

  it('migrate is safe when several processes run it at once', async () => {
    const results = await Promise.all([cli(['migrate']), cli(['migrate']), migrate(t.databaseUrl)]);
    expect(results[0].code).toBe(0);
    expect(results[1].code).toBe(0);
    const ledger = (await t.rt.pool.query('select count(*)::int as n from meta.schema_migrations')).rows[0].n;
    expect(ledger).toBe(readMigrations().length);
  });

  it('creates a missing database with text compared bytewise, and notes the collation of one made elsewhere', async () => {
    const collation = async () => (await t.rt.pool.query(`select datcollate as c from pg_database where datname = current_database()`)).rows[0].c;
    expect(await collation()).toBe('C'); // createTestEnv migrated a database that did not exist
    const other = `${new URL(t.databaseUrl).pathname.slice(1)}_other`;
    const otherUrl = t.databaseUrl.replace(/[^/]+$/, other);
    await t.rt.pool.query(`drop database if exists ${other}`);
    await t.rt.pool.query(`create database ${other} template template0 lc_collate 'C.UTF-8'`);
    try {
      const r = await runCli({ ...t.env, DATABASE_URL: otherUrl }, ['migrate']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/note: the database compares text under "C\.UTF-8"; key builds and sorts are faster under "C"/);
      expect((await cli(['migrate'])).stderr).not.toMatch(/note:/);
    } finally {
      await t.rt.pool.query(`drop database if exists ${other} with (force)`);
    }
  });

  it('refuses to run when an applied migration was edited', async () => {
    await t.rt.pool.query(`update meta.schema_migrations set checksum = 'edited' where version = 1`);
    const r = await cli(['migrate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migration 1_schemas_and_meta was edited after it was applied/);
  });
});
