import path from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILVER_ENTITIES, RETAIL_SOURCES } from '../../src/contracts/retail';
import { generate, type Manifest } from '../../src/generate/generator';
import { startRun } from '../../src/pipeline/start-run';
import { buildSummary } from '../../src/pipeline/summary';
import { waitForRunStatus } from '../../src/pipeline/wait-status';
import { createRedis } from '../../src/queue/connection';
import { buildFlow } from '../../src/queue/flow';
import { defaultJobOptions } from '../../src/queue/job-options';
import { QUEUES } from '../../src/queue/names';
import { startWorkers } from '../../workers/start-workers';
import { expectExactWarehouse } from '../helpers/expect-warehouse';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The same files in two concurrent runs, and the same run's flow enqueued a second time, served
// by competing workers: every row loaded once; one current SCD2 version per customer, no overlaps.
let t: TestEnv;
let m: Manifest;
let input: string;

beforeAll(async () => {
  t = await createTestEnv('concurrency', { METALAYER_CHUNK_BYTES: String(32 * 1024) });
  input = path.join(t.tmp, 'in');
  m = generate({ out: input, customers: 2500, seed: 31, asOf: '2025-06-30' });
});
afterAll(async () => t?.cleanup());

/** Adds a run's whole flow again, with the same job ids, as a duplicate scheduler would. */
async function enqueueAgain(runId: number): Promise<void> {
  const run = (await t.rt.pool.query('select run_key from meta.runs where run_id = $1', [runId])).rows[0];
  const chunks = (
    await t.rt.pool.query(
      `select f.source, c.file_id, c.chunk_index from meta.run_files rf join meta.files f on f.file_id = rf.file_id
         join meta.chunks c on c.file_id = f.file_id where rf.run_id = $1 and rf.role = 'load'`,
      [runId],
    )
  ).rows;
  const plan = {
    runId,
    runKey: run.run_key,
    entities: SILVER_ENTITIES.map((entity) => {
      const source = RETAIL_SOURCES.find((s) => s.entity === entity)!.name;
      return { entity, chunks: chunks.filter((c) => c.source === source).map((c) => ({ fileId: c.file_id, chunkIndex: c.chunk_index })) };
    }),
  };
  const connection = createRedis(t.config.redisUrl);
  const producer = new FlowProducer({ connection, prefix: t.config.queuePrefix });
  await producer.add(buildFlow(plan, defaultJobOptions(t.config)));
  await producer.close();
  connection.disconnect();
}

describe('concurrent and duplicated runs', () => {
  it('load every row once and keep the SCD2 dimension consistent', async () => {
    const [a, b] = await Promise.all([startRun(t.rt, { inputDir: input, asOf: '2025-06-30' }), startRun(t.rt, { inputDir: input, asOf: '2025-06-30' })]);
    expect(a.files.filter((f) => f.role === 'load')).toHaveLength(6);
    expect(b.files.filter((f) => f.role === 'load')).toHaveLength(6); // registered by the other run, not loaded yet
    await enqueueAgain(a.runId);
    const groups = [startWorkers(t.rt, { queues: [...QUEUES], concurrency: 2 }), startWorkers(t.rt, { queues: [...QUEUES], concurrency: 2 })];
    try {
      for (const run of [a, b]) {
        expect(await waitForRunStatus(t.rt.pool, run.runId, { timeoutMs: 120_000 })).toBe('finished');
        const s = (await buildSummary(t.rt.pool, run.runId))!;
        expect(s.status, s.message ?? '').toBe('succeeded');
      }
    } finally {
      await Promise.all(groups.map((g) => g.close()));
    }
    // Each chunk was loaded by one run only; the other found it loaded.
    const ledger = (await t.rt.pool.query(`select count(*)::int as n, count(distinct loaded_by_run)::int as runs from meta.chunks`)).rows[0];
    expect(ledger.n).toBeGreaterThan(12);
    await expectExactWarehouse(t, m);
    // A third run of the same files changes nothing.
    const c = await startRun(t.rt, { inputDir: input, asOf: '2025-06-30' });
    expect(c.enqueued).toBe(false);
    expect((await buildSummary(t.rt.pool, c.runId))!.status).toBe('noop');
  });
});

describe('a worker told to stop', () => {
  it('starts no job it fetches afterwards: the job goes back to its queue with no attempt used, for another worker', async () => {
    const redis = createRedis(t.config.redisUrl);
    const queue = new Queue('gold', { connection: redis, prefix: t.config.queuePrefix });
    const stopping = startWorkers(t.rt, { queues: ['gold'], concurrency: 1 });
    try {
      stopping.stopTaking();
      // A gold job of a run that does not exist: started, it would fail at once (not ready).
      const job = await queue.add('gold', { runId: 987654 }, { jobId: 'stop-test', attempts: 3 });
      // Fetched by the stopping worker, handed back, fetched again…: always waiting, never tried.
      await new Promise((r) => setTimeout(r, 500));
      const seen = await queue.getJob(job.id!);
      expect(['waiting', 'active']).toContain(await seen!.getState());
      expect(seen!.attemptsMade).toBe(0);
      expect(await queue.getFailedCount()).toBe(0);
      await stopping.close();
      expect(await (await queue.getJob(job.id!))!.getState()).toBe('waiting');
      expect((await queue.getJob(job.id!))!.attemptsMade).toBe(0);
      // A worker that is not stopping takes it (and fails it: the run does not exist).
      const other = startWorkers(t.rt, { queues: ['gold'], concurrency: 1 });
      try {
        await expect.poll(async () => (await queue.getJob(job.id!))!.getState(), { timeout: 15_000 }).toBe('failed');
      } finally {
        await other.close();
      }
    } finally {
      await stopping.close();
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });
});

