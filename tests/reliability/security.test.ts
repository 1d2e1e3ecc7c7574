import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env';
import { RETAIL_SOURCES } from '../../src/contracts/retail';
import { SourceContractSchema } from '../../src/contracts/source-contract';
import { qualified, quoteIdent } from '../../src/db/ident';
import { discoverFiles } from '../../src/pipeline/discover';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { startRun } from '../../src/pipeline/start-run';
import { createRedis } from '../../src/queue/connection';
import { BronzePayload, GoldPayload, SilverPayload } from '../../src/queue/payloads';
import { QUEUES, SCHEDULE_QUEUE } from '../../src/queue/names';
import { startScheduler } from '../../src/scheduler/scheduler';
import { lineageOf } from '../../src/server/lineage';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// Hostile configuration, payloads and paths. (Logins and roles: tests/integration/server.test.ts
// and operate-failure.test.ts; password redaction: tests/integration/logs-and-progress.test.ts.)
let t: TestEnv;
const HEADER = 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date';
// Tables, not counting the partition each loaded file gets in bronze (migration 023).
const tableCount = async (): Promise<number> =>
  (
    await t.rt.pool.query(
      `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('meta','bronze','silver','gold','quarantine') and c.relkind in ('r', 'p') and not c.relispartition`,
    )
  ).rows[0].n;

beforeAll(async () => {
  t = await createTestEnv('security');
});
afterAll(async () => t?.cleanup());

describe('SQL injection through configuration and input', () => {
  it('refuses a source or table name that is not a plain identifier', () => {
    const contract = { ...RETAIL_SOURCES[0]!, name: 'crm_cust_info; drop table meta.runs; --' };
    expect(SourceContractSchema.safeParse(contract).success).toBe(false);
    expect(SourceContractSchema.safeParse({ ...RETAIL_SOURCES[0]!, entity: 'customers" cascade' }).success).toBe(false);
    expect(() => qualified('bronze', 'crm_cust_info"; drop table meta.runs; --')).toThrow(/invalid SQL identifier/);
    expect(() => quoteIdent('Robert\'); DROP TABLE students;--')).toThrow(/invalid SQL identifier/);
    expect(() => loadConfig({ METALAYER_PREFIX: 'x; FLUSHALL' } as NodeJS.ProcessEnv)).toThrow(/METALAYER_PREFIX/);
  });

  it('treats hostile header names and values as data, never as SQL', async () => {
    const before = await tableCount();
    const dir = path.join(t.tmp, 'hostile');
    mkdirSync(dir);
    const evilColumn = 'x"); drop table meta.runs; --';
    writeFileSync(path.join(dir, 'cust_info.csv'), `${HEADER},"${evilColumn.replace(/"/g, '""')}"\n1,AW1,"Robert'); DROP TABLE silver.customers;--",Lee,S,F,2024-01-15,boom\n`);
    const s = await runPipeline(t.rt, { inputDir: dir, asOf: '2025-06-30', workers: 1 });
    expect(s.status, s.message ?? '').toBe('succeeded');
    expect(await tableCount()).toBe(before);
    const row = (await t.rt.pool.query(`select _extra, cst_firstname from bronze.crm_cust_info where cst_id = '1'`)).rows[0];
    expect(row._extra).toEqual({ [evilColumn]: 'boom' });
    expect(row.cst_firstname).toBe("Robert'); DROP TABLE silver.customers;--");
    // Lineage looks a row up by parameters: a key that is SQL finds nothing.
    expect(await lineageOf(t.rt.pool, 'customers', { customer_id: '1 or 1=1' })).toBeNull();
    expect((await lineageOf(t.rt.pool, 'customers', { customer_id: '1' }))?.bronze).toMatchObject({ cst_id: '1' });
    await expect(lineageOf(t.rt.pool, 'pg_catalog.pg_authid', { customer_id: '1' })).rejects.toThrow(/unknown entity/);
  });
});

describe('job payloads', () => {
  it('carry references only, never row data or paths; a payload with anything else is refused', async () => {
    const dir = path.join(t.tmp, 'payloads');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'cust_info.csv'), `${HEADER}\n2,AW2,Ann,Lee,S,F,2024-01-15\n3,AW3,Bob,Lee,M,M,2024-01-16\n`);
    const started = await startRun(t.rt, { inputDir: dir, asOf: '2025-06-30' });
    const redis = createRedis(t.config.redisUrl);
    try {
      for (const name of QUEUES) {
        const q = new Queue(name, { connection: redis, prefix: t.config.queuePrefix });
        const jobs = (await q.getJobs(['waiting', 'waiting-children', 'prioritized'])).filter((j) => (j.data as { runId: number }).runId === started.runId);
        expect(jobs.length, name).toBeGreaterThan(0);
        for (const j of jobs) {
          expect(Object.keys(j.data).every((k) => ['runId', 'fileId', 'chunkIndex', 'entity', 'part'].includes(k)), JSON.stringify(j.data)).toBe(true);
          expect(JSON.stringify(j.data).length).toBeLessThan(80);
          expect(JSON.stringify(j.data)).not.toMatch(/Ann|AW2|\//);
        }
        await q.obliterate({ force: true });
        await q.close();
      }
    } finally {
      redis.disconnect();
    }
    expect(BronzePayload.safeParse({ runId: 1, fileId: 1, chunkIndex: 0, rows: [['2', 'AW2']] }).success).toBe(false);
    expect(BronzePayload.safeParse({ runId: 1, fileId: 1, chunkIndex: 0, path: '/etc/passwd' }).success).toBe(false);
    expect(SilverPayload.safeParse({ runId: 1, entity: 'customers; drop' }).success).toBe(false);
    expect(GoldPayload.safeParse({ runId: 1, sql: 'drop table gold.fact_sales' }).success).toBe(false);
  });
});

describe('paths', () => {
  it('a scheduler refuses a tick that names a folder other than its landing folder', async () => {
    const landing = path.join(t.tmp, 'landing');
    mkdirSync(landing);
    const scheduler = await startScheduler(t.rt, { inputDir: landing, cron: '0 0 1 1 *' });
    const connection = createRedis(t.config.redisUrl);
    const queue = new Queue(SCHEDULE_QUEUE, { connection, prefix: t.config.queuePrefix });
    const events = new QueueEvents(SCHEDULE_QUEUE, { connection: createRedis(t.config.redisUrl), prefix: t.config.queuePrefix });
    try {
      await events.waitUntilReady();
      const runsBefore = (await t.rt.pool.query('select count(*)::int as n from meta.runs')).rows[0].n;
      const forged = await queue.add('scan', { inputDir: '/etc' });
      await expect(forged.waitUntilFinished(events, 10_000)).rejects.toThrow(/tick for \/etc refused: this scheduler serves only its landing folder/);
      const job = await Job.fromId(queue, forged.id!);
      expect(job!.attemptsMade).toBe(1); // permanent: no retries burnt
      expect((await t.rt.pool.query('select count(*)::int as n from meta.runs')).rows[0].n).toBe(runsBefore);
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
      await scheduler.close();
    }
  });

  it('does not follow a symbolic link out of the landing folder', async () => {
    const outside = path.join(t.tmp, 'outside');
    const landing = path.join(t.tmp, 'landing-links');
    mkdirSync(outside);
    mkdirSync(landing);
    writeFileSync(path.join(outside, 'cust_info.csv'), `${HEADER}\n777,AW777,Secret,Row,S,F,2024-01-15\n`);
    writeFileSync(path.join(landing, 'prd_info.csv'), 'prd_id,prd_key,prd_nm,prd_cost,prd_line,prd_start_dt,prd_end_dt\n1,CO-RF-FR-R92B-58,Frame,10,R,2024-01-01,\n');
    symlinkSync(path.join(outside, 'cust_info.csv'), path.join(landing, 'cust_info.csv'));
    symlinkSync(outside, path.join(landing, 'more'));
    const skipped: string[] = [];
    const found = discoverFiles(landing, RETAIL_SOURCES, (p, why) => skipped.push(`${path.basename(p)}: ${why}`));
    expect(found.map((f) => path.basename(f.path))).toEqual(['prd_info.csv']);
    expect(skipped).toEqual([
      expect.stringMatching(/^cust_info\.csv: a symbolic link to .*outside.*, outside the landing folder/),
      expect.stringMatching(/^more: a symbolic link to .*outside, outside the landing folder/),
    ]);
    const s = await runPipeline(t.rt, { inputDir: landing, asOf: '2025-06-30', workers: 1 });
    expect(s.files.map((f) => f.source)).toEqual(['crm_prd_info']);
    expect((await t.rt.pool.query(`select count(*)::int as n from bronze.crm_cust_info where cst_id = '777'`)).rows[0].n).toBe(0);
  });
});
