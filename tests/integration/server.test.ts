import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Manifest } from '../../src/generate/generator';
import { QUEUE_STATES } from '../../src/metrics/metrics';
import { MONITORED_QUEUES } from '../../src/queue/names';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort, runCli, startCli, type LongRunning } from '../helpers/processes';
import { ADMIN, basicAuth, LOGIN_ENV, serverUrl, VIEWER } from '../helpers/logins';
import { promtool } from '../helpers/promtool';

// `metalayer server` and `metalayer worker` as real processes over a real run: logins and roles,
// health, the read API, and /metrics that promtool accepts.
let t: TestEnv;
let m: Manifest;
let server: LongRunning;
let worker: LongRunning;
let base: string;
let workerMetricsUrl: string;
let runId: number;

const basic = basicAuth;
const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers });

const listeningUrl = serverUrl;

beforeAll(async () => {
  t = await createTestEnv('server', {
    METALAYER_CHUNK_BYTES: String(16 * 1024),
    ...LOGIN_ENV,
  });
  m = generate({ out: path.join(t.tmp, 'in'), customers: 300, seed: 5, asOf: '2025-06-30' });
  const metricsPort = await freePort();
  workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  worker = startCli(t.env, ['worker', '--metrics-port', String(metricsPort)]);
  server = startCli(t.env, ['server', '--port', '0', '--host', '127.0.0.1']);
  await worker.waitForLog(/worker started/);
  base = await listeningUrl(server);
  const run = await runCli(t.env, ['run', '--input', path.join(t.tmp, 'in'), '--as-of', '2025-06-30', '--json']);
  expect(run.code, run.stderr).toBe(0);
  runId = JSON.parse(run.stdout).runId;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await worker?.stop();
  await t?.cleanup();
});

describe('metalayer server', () => {
  it('answers /healthz with 200 when PostgreSQL and Redis answer', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });
  });

  it('refuses Bull Board and the API without a valid login', async () => {
    for (const p of ['/admin/queues', '/admin/queues/api/queues', '/api/runs', `/api/runs/${runId}`, '/api/quality', '/api/lineage?entity=customers&customer_id=1']) {
      const res = await get(p);
      expect(res.status, p).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await get(p, basic({ user: ADMIN.user, password: 'wrong-password' }))).status, p).toBe(401);
    }
  });

  it('shows every queue to the viewer but refuses the viewer any change', async () => {
    const page = await get('/admin/queues', basic(VIEWER));
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const queues = await get('/admin/queues/api/queues', basic(VIEWER));
    expect(queues.status).toBe(200);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual([...MONITORED_QUEUES].sort());
    for (const [method, p] of [
      ['PUT', '/admin/queues/api/queues/bronze/pause'],
      ['PUT', '/admin/queues/api/queues/bronze/retry/failed'],
      ['PUT', '/admin/queues/api/queues/bronze/clean/completed'],
      ['DELETE', '/admin/queues/api/queues/bronze/some-job/clean'],
    ] as const) {
      const res = await fetch(`${base}${p}`, { method, headers: basic(VIEWER) });
      expect(res.status, `${method} ${p}`).toBe(403);
    }
    // The admin may: pausing and resuming the bronze queue goes through.
    expect((await fetch(`${base}/admin/queues/api/queues/bronze/pause`, { method: 'PUT', headers: basic(ADMIN) })).status).toBe(200);
    expect((await fetch(`${base}/admin/queues/api/queues/bronze/resume`, { method: 'PUT', headers: basic(ADMIN) })).status).toBe(200);
  });

  it('serves the runs, one run with files, chunks, layers and checks, quality and lineage', async () => {
    const list = (await (await get('/api/runs', basic(VIEWER))).json()) as { runs: { run_id: number; status: string }[] };
    expect(list.runs[0]).toMatchObject({ run_id: runId, status: 'succeeded' });
    const run = (await (await get(`/api/runs/${runId}`, basic(VIEWER))).json()) as {
      files: { source: string; rowsLoaded: number }[];
      chunks: { status: string }[];
      layers: Record<string, { rows: number }>;
      checks: { passed: boolean }[];
      steps: { layer: string }[];
    };
    expect(Object.fromEntries(run.files.map((f) => [f.source, f.rowsLoaded]))).toEqual(m.expected.bronzeRows);
    expect(run.chunks.length).toBeGreaterThan(6);
    expect(run.chunks.every((c) => c.status === 'loaded')).toBe(true);
    expect(run.layers.bronze!.rows).toBe(Object.values(m.expected.bronzeRows).reduce((a, b) => a + b, 0));
    expect(run.checks.length).toBeGreaterThan(0);
    expect(run.checks.every((c) => c.passed)).toBe(true);
    expect(run.steps.filter((s) => s.layer === 'silver')).toHaveLength(6);
    expect((await get('/api/runs/999999', basic(VIEWER))).status).toBe(404);
    expect((await get('/api/runs/abc', basic(VIEWER))).status).toBe(400);

    const quality = (await (await get('/api/quality', basic(VIEWER))).json()) as { runId: number; checks: unknown[]; rejects: { rows: number }[]; rowQuality: { rows: number }[] };
    expect(quality.runId).toBe(runId);
    expect(quality.checks.length).toBe(run.checks.length);
    expect(quality.rowQuality[0]!.rows).toBe(m.expected.silver.customers);
    const full = (await (await get('/api/quality', basic(VIEWER))).json()) as { expectations: { outcome: string }[]; scores: { model: string }[] };
    expect(full.expectations.length).toBeGreaterThan(20);
    expect(full.expectations.every((e) => e.outcome === 'passed' || e.outcome === 'warned')).toBe(true);
    expect(full.scores.map((s) => s.model)).toContain('customers');

    const { rows } = await t.rt.pool.query<{ customer_id: number; _line: number }>('select customer_id, _line from silver.customers order by customer_id limit 1');
    const lineage = (await (await get(`/api/lineage?entity=customers&customer_id=${rows[0]!.customer_id}`, basic(VIEWER))).json()) as {
      file: { path: string; line: number };
      bronze: { cst_id: string; _line: number };
    };
    expect(lineage.file.path).toMatch(/cust_info\.csv$/);
    expect(lineage.file.line).toBe(rows[0]!._line);
    expect(Number(lineage.bronze.cst_id)).toBe(rows[0]!.customer_id);
    expect((await get('/api/lineage?entity=pg_catalog&id=1', basic(VIEWER))).status).toBe(400);
    expect((await get('/api/lineage?entity=sales&order_number=SO1', basic(VIEWER))).status).toBe(400);
    expect((await get('/api/lineage?entity=customers&customer_id=-5', basic(VIEWER))).status).toBe(404);
  });

  it('exports queue, freshness and quality gauges that promtool accepts, once, from the server', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const q of MONITORED_QUEUES) {
      for (const s of QUEUE_STATES) expect(text).toContain(`metalayer_queue_jobs{queue="${q}",state="${s}"}`);
      expect(text).toMatch(new RegExp(`metalayer_queue_oldest_waiting_job_age_seconds\\{queue="${q}"\\} \\d`));
    }
    expect(text).toMatch(/metalayer_queue_workers\{queue="bronze"\} [1-9]/);
    expect(text).toMatch(/metalayer_pipeline_last_success_timestamp_seconds\{pipeline="retail"\} \d{10}/);
    expect(text).toMatch(/metalayer_pipeline_last_run_duration_seconds\{pipeline="retail",status="succeeded"\} \d/);
    expect(text).toContain('metalayer_table_quality_score{layer="bronze",table="bronze.crm_cust_info"} 1');
    expect(text).toMatch(/metalayer_table_quality_score\{layer="silver",table="silver.customers"\} (1|0\.\d+)\n/);
    expect(text).toMatch(/metalayer_table_quality_score\{layer="gold",table="gold.fact_sales"\} (1|0\.\d+)\n/);
    const check = promtool(['check', 'metrics'], text);
    expect(check.code, check.out).toBe(0);
  });

  it('exports job durations and row counts from the worker, and promtool accepts them', async () => {
    const text = await (await fetch(workerMetricsUrl)).text();
    const loaded = [...text.matchAll(/^metalayer_rows_total\{source="(\w+)",layer="bronze",outcome="loaded"\} (\d+)/gm)];
    expect(Object.fromEntries(loaded.map((r) => [r[1], Number(r[2])]))).toEqual(m.expected.bronzeRows);
    expect(text).toMatch(/metalayer_job_duration_seconds_count\{queue="gold",outcome="completed"\} 2/); // the dimensions, then gold
    expect(text).not.toContain('metalayer_queue_jobs');
    const check = promtool(['check', 'metrics'], text);
    expect(check.code, check.out).toBe(0);
  });

  it('answers /healthz with 503 naming Redis when Redis is unreachable', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const other = startCli({ ...t.env, REDIS_URL: dead }, ['server', '--port', '0', '--host', '127.0.0.1']);
    try {
      const url = await listeningUrl(other);
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; postgres: string; redis: string };
      expect(body.ok).toBe(false);
      expect(body.postgres).toBe('ok');
      expect(body.redis).not.toBe('ok');
    } finally {
      await other.stop();
    }
  });

  it('without any login configured, listens on 127.0.0.1 only and says so', async () => {
    const env = { ...t.env };
    for (const k of ['METALAYER_ADMIN_USER', 'METALAYER_ADMIN_PASSWORD', 'METALAYER_VIEWER_USER', 'METALAYER_VIEWER_PASSWORD']) delete env[k];
    const open = startCli(env, ['server', '--port', '0', '--host', '0.0.0.0']);
    try {
      const warning = await open.waitForLog(/no login configured/);
      expect(JSON.parse(warning).host).toBe('127.0.0.1');
      const url = await listeningUrl(open);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/api/runs`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
