import { renameSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Manifest } from '../../src/generate/generator';
import { startRun } from '../../src/pipeline/start-run';
import { waitForRunStatus } from '../../src/pipeline/wait-status';
import { createRedis } from '../../src/queue/connection';
import { createTestEnv, deleteQueueKeys, type TestEnv } from '../helpers/test-env';
import { ADMIN, basicAuth, LOGIN_ENV, serverUrl, VIEWER } from '../helpers/logins';
import { eventually, runCli, startCli, type LongRunning } from '../helpers/processes';

// Operating a failure: a chunk fails on purpose (its file vanishes after the run was planned), the
// run fails; the operator fixes the cause and retries — through Bull Board's HTTP API, or with
// `metalayer retry` — and the run completes with exact counts, without redoing what succeeded.
const auth = basicAuth;

let t: TestEnv;
let m: Manifest;
let worker: LongRunning;
let server: LongRunning;
let base: string;
let dayNo = 0;

beforeAll(async () => {
  t = await createTestEnv('operate', {
    METALAYER_CHUNK_BYTES: String(16 * 1024),
    ...LOGIN_ENV,
  });
  worker = startCli(t.env, ['worker', '--concurrency', '2']);
  server = startCli(t.env, ['server', '--port', '0', '--host', '127.0.0.1']);
  await worker.waitForLog(/worker started/);
  base = await serverUrl(server);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await worker?.stop();
  await t?.cleanup();
});

/** Plans a run over a fresh dataset, then hides one of its files so that its chunk job fails. */
async function failingRun(): Promise<{ runId: number; file: string; hidden: string }> {
  dayNo += 1;
  const dir = path.join(t.tmp, `day${dayNo}`);
  // Every day has new content (a different seed), so no file is skipped as already loaded.
  m = generate({ out: dir, customers: 120, seed: 100 + dayNo, asOf: '2025-06-30' });
  // The bronze queue is paused while the file is hidden: the small sources load first
  // (src/queue/flow.ts, bronzePriorities), so the worker could otherwise load it before it is gone.
  const redis = createRedis(t.config.redisUrl);
  const bronze = new Queue('bronze', { connection: redis, prefix: t.config.queuePrefix });
  await bronze.pause();
  let started: Awaited<ReturnType<typeof startRun>>;
  const hidden = path.join(dir, '.moved-away.csv');
  let file: string;
  try {
    started = await startRun(t.rt, { inputDir: dir, asOf: '2025-06-30' });
    file = started.files.find((f) => f.source === 'erp_loc_a101')!.path;
    renameSync(file, hidden);
  } finally {
    await bronze.resume();
    await bronze.close();
    redis.disconnect();
  }
  expect(await waitForRunStatus(t.rt.pool, started.runId, { timeoutMs: 60_000 })).toBe('finished');
  return { runId: started.runId, file, hidden };
}

async function runState(runId: number) {
  const run = (await t.rt.pool.query('select status, message from meta.runs where run_id = $1', [runId])).rows[0];
  const steps = (await t.rt.pool.query(`select step, status, attempts from meta.steps where run_id = $1 and layer = 'silver' order by step`, [runId])).rows;
  return { run, steps };
}

async function expectExactCounts(runId: number): Promise<void> {
  const files = (
    await t.rt.pool.query(
      `select f.source, sum(c.rows_loaded)::int as loaded, count(*) filter (where c.status <> 'loaded')::int as pending
         from meta.run_files rf join meta.files f on f.file_id = rf.file_id join meta.chunks c on c.file_id = f.file_id
        where rf.run_id = $1 group by f.source`,
      [runId],
    )
  ).rows;
  expect(Object.fromEntries(files.map((f) => [f.source, f.loaded]))).toEqual(m.expected.bronzeRows);
  expect(files.every((f) => f.pending === 0)).toBe(true);
  const bronze = (await t.rt.pool.query(`select count(*)::int as n from bronze.erp_loc_a101 b join meta.run_files rf on rf.file_id = b._file_id where rf.run_id = $1`, [runId])).rows[0];
  expect(bronze.n).toBe(m.expected.bronzeRows.erp_loc_a101);
  const checks = (await t.rt.pool.query('select name, passed from meta.checks where run_id = $1', [runId])).rows;
  expect(checks.length).toBeGreaterThan(0);
  expect(checks.filter((c) => !c.passed)).toEqual([]);
}

describe('operating a failed run', () => {
  it('fails the run naming the job and the cause; a retry through Bull Board (admin only) completes it with exact counts', async () => {
    const { runId, file, hidden } = await failingRun();
    // The run fails at once; the other entities' silver jobs carry on and finish.
    const failed = await eventually(async () => {
      const s = await runState(runId);
      return s.steps.filter((x: { status: string }) => x.status !== 'running').length === 5 ? s : undefined;
    }, 'the other silver steps to finish');
    expect(failed.run.status).toBe('failed');
    expect(failed.run.message).toMatch(/bronze job .*-chunk-0 failed: .*ENOENT/);
    // The other entities' silver steps went through once; locations never started.
    expect(failed.steps.map((s: { step: string }) => s.step)).not.toContain('locations');
    const before = failed.steps.filter((s: { status: string }) => s.status === 'succeeded');
    expect(before).toHaveLength(5);

    renameSync(hidden, file); // fix the cause
    const redis = createRedis(t.config.redisUrl);
    const queue = new Queue('bronze', { connection: redis, prefix: t.config.queuePrefix });
    const failedJobs = await queue.getFailed();
    await queue.close();
    redis.disconnect();
    expect(failedJobs).toHaveLength(1);
    const jobId = failedJobs[0]!.id!;
    const retryUrl = `${base}/admin/queues/api/queues/bronze/${encodeURIComponent(jobId)}/retry`;
    expect((await fetch(retryUrl, { method: 'PUT', headers: auth(VIEWER) })).status).toBe(403);
    expect((await fetch(retryUrl, { method: 'PUT' })).status).toBe(401);
    const res = await fetch(retryUrl, { method: 'PUT', headers: auth(ADMIN) });
    expect(res.status).toBeLessThan(300);

    // The run reads 'failed' until the retried chunk is loaded, then 'running' as its parents are
    // resumed (workers/resume-parent.ts), then settles.
    const after = await eventually(async () => {
      const s = await runState(runId);
      return s.run.status === 'succeeded' ? s : undefined;
    }, 'the retried run to succeed');
    expect(after.run.status, after.run.message).toBe('succeeded');
    await expectExactCounts(runId);
    // What had succeeded was not redone: each of those silver steps ran once.
    for (const s of before) expect(after.steps.find((x: { step: string }) => x.step === s.step)).toEqual({ ...s, attempts: 1 });
    expect(after.steps.find((x: { step: string }) => x.step === 'locations')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('`metalayer retry --run ID` resumes the failed run from the command line', async () => {
    const { runId, file, hidden } = await failingRun();
    expect((await runState(runId)).run.status).toBe('failed');
    renameSync(hidden, file);
    const r = await runCli(t.env, ['retry', '--run', String(runId), '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('succeeded');
    expect(out.retry.mode).toBe('jobs');
    expect(out.retry.jobs).toHaveLength(1);
    await expectExactCounts(runId);
    const steps = (await runState(runId)).steps;
    expect(steps.every((s: { attempts: number; status: string }) => s.status === 'succeeded' && s.attempts === 1)).toBe(true);
  });

  it('`metalayer retry` still resumes the run when Redis lost its jobs (a new flow covers only what is left)', async () => {
    const { runId, file, hidden } = await failingRun();
    renameSync(hidden, file);
    await deleteQueueKeys(t.config.redisUrl, t.config.queuePrefix);
    const r = await runCli(t.env, ['retry', '--run', String(runId), '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.retry.mode).toBe('flow');
    expect(out.status).toBe('succeeded');
    await expectExactCounts(runId);
  });

  it('refuses to retry a run that succeeded, or that does not exist', async () => {
    const done = (await t.rt.pool.query(`select max(run_id)::int as id from meta.runs where status = 'succeeded'`)).rows[0].id;
    const ok = await runCli(t.env, ['retry', '--run', String(done)]);
    expect(ok.code).toBe(2);
    expect(ok.stderr).toMatch(/succeeded: nothing to retry/);
    const missing = await runCli(t.env, ['retry', '--run', '99999']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run 99999 does not exist/);
  });
});
