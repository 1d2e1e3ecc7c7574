import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generator';
import { createLogger } from '../../src/logger';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { BIN, ROOT, runCli, startCli } from '../helpers/processes';

// What operators read: JSON log lines carrying run, queue and job ids, never a password; a
// progress bar on a terminal and none when the output is piped.
const SECRET = 'Sup3rSecretPassw0rd';
let t: TestEnv;
let env: NodeJS.ProcessEnv;
let input: string;

beforeAll(async () => {
  t = await createTestEnv('logs', { METALAYER_CHUNK_BYTES: String(16 * 1024) });
  // The test server trusts every local connection, so a password in the URL is accepted and ignored.
  const withPassword = new URL(t.databaseUrl);
  withPassword.password = SECRET;
  env = { ...t.env, DATABASE_URL: withPassword.toString() };
  input = path.join(t.tmp, 'in');
  generate({ out: input, customers: 80, seed: 9, asOf: '2025-06-30' });
});
afterAll(async () => t?.cleanup());

describe('logs', () => {
  it('are JSON lines with run, queue and job ids, and never show the database password', async () => {
    const worker = startCli({ ...env, LOG_LEVEL: 'debug' }, ['worker']);
    await worker.waitForLog(/worker started/);
    const run = await runCli(env, ['run', '--input', input, '--as-of', '2025-06-30', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(await worker.stop()).toBe(0);
    const lines = worker.log().trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const jobs = records.filter((r) => r.msg === 'job done');
    expect(jobs.length).toBeGreaterThan(6);
    for (const j of jobs) {
      expect(j.runId).toBe(JSON.parse(run.stdout).runId);
      expect(['bronze', 'silver', 'gold']).toContain(j.queue);
      expect(String(j.jobId)).toMatch(/^run-\d+-/);
    }
    const started = records.find((r) => r.msg === 'worker started')!;
    expect(started.database).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
    expect(worker.log()).not.toContain(SECRET);
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
  });

  it('redact passwords in messages, fields and errors', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += chunk;
        done();
      },
    });
    const log = createLogger('info', {}, sink);
    const url = `postgres://etl:${SECRET}@db:5432/warehouse`;
    log.info({ target: url }, `connecting to ${url}`);
    log.error({ err: new Error(`could not reach ${url}`) }, 'failed');
    expect(out).not.toContain(SECRET);
    const [a, b] = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(a.target).toBe('postgres://etl:***@db:5432/warehouse');
    expect(a.msg).toBe('connecting to postgres://etl:***@db:5432/warehouse');
    expect(b.err.message).toBe('could not reach postgres://etl:***@db:5432/warehouse');
  });

  it('an error that stops a command names the problem without the password', async () => {
    const r = await runCli({ ...env, DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/nowhere` }, ['status']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/metalayer: .*error/);
    expect(r.stderr).not.toContain(SECRET);
  });
});

describe('progress', () => {
  it('draws a progress bar on a terminal, and nothing but the summary when piped', async () => {
    const day = path.join(t.tmp, 'day2');
    generate({ out: day, customers: 80, seed: 10, asOf: '2025-06-30' });
    // `script` gives the command a pseudo-terminal, as an operator's shell would.
    const cmd = `${process.execPath} ${BIN} run --input ${day} --as-of 2025-06-30 --workers 2`;
    const tty = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env: { ...env, CI: undefined, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/run \d+ \|[█░]+\| 100% · bronze (\d+)\/\1 chunks · silver 6\/6 · gold done/);
    const piped = await runCli({ ...env, LOG_LEVEL: 'silent' }, ['run', '--input', path.join(t.tmp, 'in'), '--as-of', '2025-06-30']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/^run \d+: NOOP/);
  });
});
