import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { generate, type Manifest } from '../../src/generate/generator';
import { startRun } from '../../src/pipeline/start-run';
import { buildSummary } from '../../src/pipeline/summary';
import { waitForRunStatus } from '../../src/pipeline/wait-status';
import { createRedis } from '../../src/queue/connection';
import { SCHEDULE_QUEUE } from '../../src/queue/names';
import { expectExactWarehouse } from '../helpers/expect-warehouse';
import { eventually, freePort, startCli, type LongRunning } from '../helpers/processes';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// Real faults in real processes: a worker killed mid-COPY, Redis restarted mid-run, PostgreSQL
// backends terminated mid-run, SIGTERM with a job that finishes and one that cannot. Each ends
// with the warehouse of one clean load: nothing lost, nothing doubled.
const CUSTOMERS = 6000;
const BASE = { METALAYER_CHUNK_BYTES: String(96 * 1024), METALAYER_LOCK_MS: '2000' };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function setup(tag: string, overrides: Record<string, string> = {}): Promise<{ t: TestEnv; m: Manifest; input: string }> {
  const t = await createTestEnv(tag, { ...BASE, ...overrides });
  cleanup.push(() => t.cleanup());
  const input = path.join(t.tmp, 'in');
  const m = generate({ out: input, customers: CUSTOMERS, seed: 21, asOf: '2025-06-30' });
  return { t, m, input };
}

function worker(t: TestEnv, args: string[] = [], env: Record<string, string> = {}): LongRunning {
  const w = startCli({ ...t.env, ...env }, ['worker', '--concurrency', '2', ...args]);
  cleanup.push(() => w.stop('SIGKILL'));
  return w;
}

/** Application names of this database's worker backends now running the given kind of statement. */
async function activeBackends(t: TestEnv, like: string): Promise<{ pid: number; app: string }[]> {
  const { rows } = await t.rt.pool.query(
    `select pid, application_name as app from pg_stat_activity
      where datname = current_database() and state = 'active' and application_name like 'metalayer/%'
        and application_name <> $1 and query ilike $2`,
    [`metalayer/${process.pid}`, like],
  );
  return rows;
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
}

async function expectSucceeded(t: TestEnv, runId: number): Promise<void> {
  expect(await waitForRunStatus(t.rt.pool, runId, { timeoutMs: 120_000 })).toBe('finished');
  const s = (await buildSummary(t.rt.pool, runId))!;
  expect(s.status, s.message ?? '').toBe('succeeded');
  expect(s.checks.every((c) => c.passed)).toBe(true);
}

describe('faults', () => {
  it('a worker killed with SIGKILL in the middle of a bronze COPY: another worker takes its stalled job over', async () => {
    const { t, m, input } = await setup('sigkill');
    const port = await freePort();
    const victim = worker(t);
    const survivor = worker(t, ['--metrics-port', String(port)]);
    await Promise.all([victim.waitForLog(/worker started/), survivor.waitForLog(/worker started/)]);
    const { runId } = await startRun(t.rt, { inputDir: input, asOf: '2025-06-30' });
    await eventually(
      async () => ((await activeBackends(t, 'copy%')).some((b) => b.app === `metalayer/${victim.child.pid}`) ? true : undefined),
      'a COPY by the victim',
      60_000,
      2,
    );
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull(); // killed, not exited
    await expectSucceeded(t, runId);
    await expectExactWarehouse(t, m);
    expect(await metricSum(`http://127.0.0.1:${port}/metrics`, 'metalayer_jobs_stalled_total')).toBeGreaterThanOrEqual(1);
  });

  it('PostgreSQL backends of the workers terminated mid-run: jobs retry with backoff, exact counts', async () => {
    const { t, m, input } = await setup('pgterm');
    const ports = [await freePort(), await freePort()];
    const ws = ports.map((p) => worker(t, ['--metrics-port', String(p)]));
    await Promise.all(ws.map((w) => w.waitForLog(/worker started/)));
    const { runId } = await startRun(t.rt, { inputDir: input, asOf: '2025-06-30' });
    let terminated = 0;
    // Until three backends were terminated: one found active may end before it is signalled
    // (pg_terminate_backend then returns false), so a fixed number of rounds is not enough.
    for (let round = 0; round < 10 && terminated < 3; round++) {
      const victims = await eventually(async () => {
        const b = await activeBackends(t, '%');
        return b.length > 0 ? b : undefined;
      }, 'an active worker backend', 60_000, 2);
      for (const v of victims) terminated += (await t.rt.pool.query('select pg_terminate_backend($1) as ok', [v.pid])).rows[0].ok ? 1 : 0;
    }
    expect(terminated).toBeGreaterThanOrEqual(3);
    await expectSucceeded(t, runId);
    await expectExactWarehouse(t, m);
    const retries = (await Promise.all(ports.map((p) => metricSum(`http://127.0.0.1:${p}/metrics`, 'metalayer_job_retries_total')))).reduce((a, b) => a + b, 0);
    expect(retries).toBeGreaterThanOrEqual(1);
  });

  it('SIGTERM while a chunk loads: the worker takes no new job, finishes the active ones, exits 0', async () => {
    const { t, m, input } = await setup('sigterm');
    const w1 = worker(t, [], { LOG_LEVEL: 'debug', METALAYER_SHUTDOWN_GRACE_MS: '30000' });
    await w1.waitForLog(/worker started/);
    const { runId } = await startRun(t.rt, { inputDir: input, asOf: '2025-06-30' });
    await eventually(async () => ((await activeBackends(t, 'copy%')).length > 0 ? true : undefined), 'a COPY', 60_000, 2);
    w1.child.kill('SIGTERM');
    expect(await w1.exited).toBe(0);
    const lines = w1.log().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; jobId?: string });
    const stop = lines.findIndex((l) => l.msg.startsWith('worker stopping'));
    expect(stop).toBeGreaterThan(0);
    const startedBefore = new Set(lines.slice(0, stop).filter((l) => l.msg === 'job started').map((l) => l.jobId));
    const after = lines.slice(stop);
    expect(after.filter((l) => l.msg === 'job started')).toEqual([]); // no new job
    const finishedAfter = after.filter((l) => l.msg === 'job done');
    expect(finishedAfter.length).toBeGreaterThan(0); // the active ones finished…
    for (const l of finishedAfter) expect(startedBefore.has(l.jobId)).toBe(true); // …and only those
    expect(w1.log()).toContain('"msg":"worker stopped"');
    const w2 = worker(t);
    await w2.waitForLog(/worker started/);
    await expectSucceeded(t, runId);
    await expectExactWarehouse(t, m);
  });

  it('SIGTERM while a job cannot finish: released at the deadline, exits 0, another worker completes it', async () => {
    const { t, m, input } = await setup('release');
    // Hold the lock the silver customers step takes, so that the step waits.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    cleanup.push(() => blocker.end());
    await blocker.query(`select pg_advisory_lock(727100, hashtext('silver.customers'))`);
    const w1 = worker(t, [], { METALAYER_SHUTDOWN_GRACE_MS: '500' });
    await w1.waitForLog(/worker started/);
    const { runId } = await startRun(t.rt, { inputDir: input, asOf: '2025-06-30' });
    await eventually(async () => {
      const r = await t.rt.pool.query(`select 1 from meta.steps where run_id = $1 and step = 'customers' and status = 'running'`, [runId]);
      return r.rowCount === 1 ? true : undefined;
    }, 'the blocked silver step');
    w1.child.kill('SIGTERM');
    expect(await w1.exited).toBe(0);
    expect(w1.log()).toContain('active jobs released');
    await blocker.query(`select pg_advisory_unlock(727100, hashtext('silver.customers'))`);
    const w2 = worker(t);
    await w2.waitForLog(/worker started/);
    await expectSucceeded(t, runId);
    await expectExactWarehouse(t, m);
  });

  it('Redis restarted mid-run: workers and the scheduler reconnect, the run completes with exact counts', async () => {
    const port = await freePort();
    const { t, m, input } = await setup('redisrestart', { REDIS_URL: `redis://127.0.0.1:${port}` });
    const dataDir = path.join(t.tmp, 'redis');
    mkdirSync(dataDir);
    const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir];
    const startRedis = async (): Promise<ChildProcess> => {
      const child = spawn('redis-server', redisArgs, { stdio: 'ignore' });
      cleanup.push(async () => child.kill('SIGKILL'));
      await eventually(async () => (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG' ? true : undefined), 'redis up');
      return child;
    };
    let redis = await startRedis();
    const landing = path.join(t.tmp, 'landing');
    mkdirSync(landing);
    const ws = [worker(t), worker(t)];
    const scheduler = startCli(t.env, ['scheduler', '--input', landing, '--cron', '* * * * * *']);
    cleanup.push(() => scheduler.stop('SIGKILL'));
    await Promise.all([...ws.map((w) => w.waitForLog(/worker started/)), scheduler.waitForLog(/scheduler started/)]);
    renameSync(input, path.join(landing, 'day1'));
    await eventually(async () => {
      const r = await t.rt.pool.query(`select count(*) filter (where status = 'loaded')::int as done, count(*)::int as all from meta.chunks`);
      return r.rows[0].done >= 3 && r.rows[0].done < r.rows[0].all ? true : undefined;
    }, 'some chunks loaded', 60_000, 5);
    spawnSync('redis-cli', ['-p', String(port), 'shutdown']);
    await new Promise((resolve) => redis.once('exit', resolve));
    redis = await startRedis();
    const runs = await eventually(async () => {
      const r = (await t.rt.pool.query(`select run_id, status from meta.runs`)).rows;
      return r.length > 0 && r.every((x) => !['running', 'pending'].includes(x.status)) ? r : undefined;
    }, 'the run to settle', 120_000);
    expect(runs.map((r) => r.status)).toEqual(['succeeded']);
    await expectExactWarehouse(t, m);
    // The scheduler ticks on against the restarted Redis.
    const connection = createRedis(t.config.redisUrl);
    const queue = new Queue(SCHEDULE_QUEUE, { connection, prefix: t.config.queuePrefix });
    cleanup.push(async () => {
      await queue.close();
      connection.disconnect();
    });
    const before = (await queue.getJobCounts('completed')).completed ?? 0;
    await eventually(async () => (((await queue.getJobCounts('completed')).completed ?? 0) >= before + 2 ? true : undefined), 'ticks after the restart');
  });
});
