import { mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generator';
import { createRedis } from '../../src/queue/connection';
import { SCHEDULE_QUEUE } from '../../src/queue/names';
import { upsertSchedule } from '../../src/scheduler/scheduler';
import { ConfigError } from '../../src/errors/config-error';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { eventually, startCli, type LongRunning } from '../helpers/processes';

// `metalayer scheduler` as two real processes on a one-second cron, with a worker process:
// one job scheduler in Redis whatever the number of processes or restarts; a file dropped in the
// landing folder is loaded by the next tick; later ticks start nothing again.
let t: TestEnv;
let landing: string;
let queue: Queue;
let redis: ReturnType<typeof createRedis>;
const processes: LongRunning[] = [];

const start = (args: string[]): LongRunning => {
  const p = startCli(t.env, args);
  processes.push(p);
  return p;
};
const schedulerArgs = () => ['scheduler', '--input', landing, '--cron', '* * * * * *'];
const runs = async () => (await t.rt.pool.query<{ run_id: number; status: string }>('select run_id, status from meta.runs order by run_id')).rows;
const ticksDone = async () => (await queue.getJobCounts('completed')).completed ?? 0;

/** Writes a day's files elsewhere, then renames the folder into the landing area in one step. */
function drop(day: number): ReturnType<typeof generate> {
  const staging = path.join(t.tmp, `staging-${day}`);
  const m = generate({ out: staging, customers: 60, seed: 300 + day, asOf: '2025-06-30' });
  renameSync(staging, path.join(landing, `day-${day}`));
  return m;
}

beforeAll(async () => {
  t = await createTestEnv('scheduler');
  landing = path.join(t.tmp, 'landing');
  mkdirSync(landing);
  redis = createRedis(t.config.redisUrl);
  queue = new Queue(SCHEDULE_QUEUE, { connection: redis, prefix: t.config.queuePrefix });
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await queue?.close();
  redis?.disconnect();
  await t?.cleanup();
});

describe('metalayer scheduler', () => {
  it('keeps one job scheduler however many processes start, and ticks without creating runs when nothing is new', async () => {
    const a = start(schedulerArgs());
    const b = start(schedulerArgs());
    await Promise.all([a.waitForLog(/scheduler started/), b.waitForLog(/scheduler started/)]);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const [scheduler] = await queue.getJobSchedulers();
    expect(scheduler!.pattern).toBe('* * * * * *');
    await eventually(async () => ((await ticksDone()) >= 2 ? true : undefined), 'two ticks');
    expect(await runs()).toEqual([]);
  });

  it('loads files dropped in the landing folder on the next tick, once', async () => {
    const worker = start(['worker']);
    await worker.waitForLog(/worker started/);
    const m = drop(1);
    const [run] = await eventually(async () => {
      const r = await runs();
      return r.length === 1 && r[0]!.status === 'succeeded' ? r : undefined;
    }, 'the run of the dropped files');
    const loaded = (await t.rt.pool.query('select count(*)::int as n from bronze.crm_sales_details where _run_id = $1', [run!.run_id])).rows[0].n;
    expect(loaded).toBe(m.expected.bronzeRows.crm_sales_details);
    // Later ticks see only known files: no new run.
    const after = await ticksDone();
    await eventually(async () => ((await ticksDone()) >= after + 2 ? true : undefined), 'two more ticks');
    expect((await runs()).map((r) => r.run_id)).toEqual([run!.run_id]);
  });

  it('a restarted scheduler neither duplicates the schedule nor reloads old files, and picks up a new day', async () => {
    const first = processes[0]!;
    expect(await first.stop()).toBe(0);
    const again = start(schedulerArgs());
    await again.waitForLog(/scheduler started/);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    drop(2);
    const all = await eventually(async () => {
      const r = await runs();
      return r.length === 2 && r[1]!.status === 'succeeded' ? r : undefined;
    }, 'the second day');
    const files = (await t.rt.pool.query('select count(*)::int as n, count(distinct sha256)::int as d from meta.files')).rows[0];
    expect(files).toEqual({ n: 12, d: 12 });
    expect(all).toHaveLength(2);
  });

  it("keeps the schedule when its next tick job exists already in Redis, instead of calling the cron bad", async () => {
    // The collision a restart within the second of a one-second cron can meet, made on purpose:
    // the next occurrence's tick job taken out of the delayed set, its job kept (as when another
    // process runs it). On a queue of its own, a yearly cron: the slot cannot move meanwhile.
    const q = new Queue('collision-check', { connection: redis, prefix: t.config.queuePrefix });
    try {
      const id = 'scan-collision';
      const cron = '0 0 1 1 *';
      await upsertSchedule(t.rt, q, id, { inputDir: landing, cron }, 5);
      const first = await q.getJobScheduler(id);
      expect(first?.pattern).toBe(cron);
      expect(await redis.zrem(q.keys.delayed!, `repeat:${id}:${first!.next}`)).toBe(1);
      await expect(q.upsertJobScheduler(id, { pattern: cron }, { name: 'scan', data: {} })).rejects.toThrow(/job ID already exists/);
      await upsertSchedule(t.rt, q, id, { inputDir: landing, cron }, 5);
      expect(await q.getJobSchedulersCount()).toBe(1);
      expect((await q.getJobScheduler(id))?.pattern).toBe(cron);
      // A bad expression is still the cron's fault.
      await expect(upsertSchedule(t.rt, q, 'scan-bad', { inputDir: landing, cron: 'every tuesday' }, 5)).rejects.toThrow(ConfigError);
    } finally {
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('refuses a bad cron expression with a clear message', async () => {
    const bad = startCli(t.env, ['scheduler', '--input', landing, '--cron', 'every tuesday']);
    expect(await bad.exited).toBe(2);
    expect(bad.log()).toMatch(/cannot schedule "every tuesday"/);
  });
});
