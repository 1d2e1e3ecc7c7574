import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { createRedis } from '../../src/queue/connection';
import { createParentResumer } from '../../workers/resume-parent';
import { startWorkers } from '../../workers/start-workers';
import type { RunSummary } from '../../src/pipeline/summary';
import { openRuntime } from '../../src/runtime';
import { eventually, runCli } from '../helpers/processes';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// Declarative expectations on hand-made rows: each action (warn, drop, fail), thresholds, the
// conservation rule catching a deliberately broken model, and the quality/quarantine commands.
const HEADER = 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date';
const row = (id: number, first: string, last = 'Lee'): string => `${id},AW${id},${first},${last},S,F,2024-01-15`;
let t: TestEnv;
let caseNo = 0;
let failedRun = 0;

beforeAll(async () => {
  t = await createTestEnv('quality');
});
afterAll(async () => t?.cleanup());

/** Runs one customers file under the given silver expectations (YAML text for the customers model). */
async function runWith(expectations: string, rows: string[], overrides: Partial<TestEnv['config']> = {}): Promise<RunSummary> {
  caseNo += 1;
  const dir = path.join(t.tmp, `case${caseNo}`);
  mkdirSync(path.join(dir, 'in'), { recursive: true });
  writeFileSync(path.join(dir, 'silver.yml'), `models:\n  customers:\n    description: test\n    grain: one row per customer\n    key: [customer_id]\n    expectations:\n${expectations}`);
  writeFileSync(path.join(dir, 'gold.yml'), 'models: {}\n');
  writeFileSync(path.join(dir, 'in', 'cust_info.csv'), `${[HEADER, ...rows].join('\n')}\n`);
  const rt = openRuntime({ ...t.config, expectationsDir: dir, ...overrides }, { poolSize: 4, logger: t.rt.logger });
  try {
    return await runPipeline(rt, { inputDir: path.join(dir, 'in'), asOf: '2025-06-30', workers: 1 });
  } finally {
    await rt.close();
  }
}

const results = async (runId: number) =>
  (
    await t.rt.pool.query(
      `select rule, rows_checked, rows_failed, outcome, sample_keys from meta.quality_results
        where run_id = $1 and layer = 'silver' and rule not like 'contract\\_type\\_%' order by rule`,
      [runId],
    )
  ).rows;
/** An expectations folder (silver.yml, gold.yml) for the CLI: customers checked by the given rules. */
function expectationsDir(name: string, rules: string): string {
  const dir = path.join(t.tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'silver.yml'), `models:\n  customers:\n    description: test\n    grain: one row per customer\n    key: [customer_id]\n    expectations:\n${rules}`);
  writeFileSync(path.join(dir, 'gold.yml'), 'models: {}\n');
  return dir;
}
const silverIds = async (from: number, to: number) =>
  (await t.rt.pool.query('select customer_id from silver.customers where customer_id between $1 and $2 order by 1', [from, to])).rows.map((r) => r.customer_id);

describe('expectations', () => {
  it('warn keeps the failing rows and counts them', async () => {
    const s = await runWith(`      - { name: first_name_known, rule: accepted_values, column: first_name, values: [Ann, Bob], action: warn }\n`, [
      row(101, 'Ann'),
      row(102, 'Zed'),
      row(103, 'Bob'),
    ]);
    expect(s.status, s.message ?? '').toBe('succeeded');
    expect(await results(s.runId)).toEqual([{ rule: 'first_name_known', rows_checked: 3, rows_failed: 1, outcome: 'warned', sample_keys: [{ customer_id: 102 }] }]);
    expect(await silverIds(101, 103)).toEqual([101, 102, 103]);
    const score = (await t.rt.pool.query('select rows_checked, rows_passed, score from meta.quality_scores where run_id = $1', [s.runId])).rows[0];
    expect(score).toEqual({ rows_checked: 3, rows_passed: 2, score: 0.66667 });
    // The failing row's own score, and the trend over runs.
    const rows = (await t.rt.pool.query('select row_key, checks_passed, checks_total, score, failed_rules from meta.row_scores where run_id = $1', [s.runId])).rows;
    expect(rows).toEqual([{ row_key: { customer_id: 102 }, checks_passed: 0, checks_total: 1, score: 0, failed_rules: ['first_name_known'] }]);
    const trend = (await t.rt.pool.query(`select run_id, score from meta.quality_trend where model = 'customers' and run_id = $1`, [s.runId])).rows;
    expect(trend).toEqual([{ run_id: s.runId, score: 0.66667 }]);
  });

  it('a range on an integer column keeps fractional bounds exact (compared as integers), and drops by it', async () => {
    // customer_id is int8: 1.5 ≤ id ≤ 3.5 holds for 2 and 3 only; −0.5 ≤ id for all; id ≤ 2 for 1 and 2.
    const s = await runWith(
      [
        `      - { name: id_between, rule: range, column: customer_id, min: 1.5, max: 3.5, action: warn }`,
        `      - { name: id_not_negative, rule: range, column: customer_id, min: -0.5, action: warn }`,
        `      - { name: id_small, rule: range, column: customer_id, max: 2, action: drop }`,
        '',
      ].join('\n'),
      [row(1, 'Ann'), row(2, 'Bob'), row(3, 'Cy'), row(4, 'Di')],
    );
    expect(s.status, s.message ?? '').toBe('succeeded');
    expect(await results(s.runId)).toEqual([
      { rule: 'id_between', rows_checked: 4, rows_failed: 2, outcome: 'warned', sample_keys: [{ customer_id: 1 }, { customer_id: 4 }] },
      { rule: 'id_not_negative', rows_checked: 4, rows_failed: 0, outcome: 'passed', sample_keys: [] },
      { rule: 'id_small', rows_checked: 4, rows_failed: 2, outcome: 'dropped', sample_keys: [{ customer_id: 3 }, { customer_id: 4 }] },
    ]);
    expect(await silverIds(1, 4)).toEqual([1, 2]);
  });

  it('drop moves the failing rows to quarantine under the rule name, with file and line', async () => {
    const s = await runWith(`      - { name: no_mallory, rule: expression, sql: "first_name <> 'Mallory'", action: drop }\n`, [row(201, 'Ann'), row(202, 'Mallory'), row(203, 'Bob')]);
    expect(s.status, s.message ?? '').toBe('succeeded');
    expect(await silverIds(201, 203)).toEqual([201, 203]);
    const q = (await t.rt.pool.query(`select line, rule, reason, record->>'first_name' as first from quarantine.rejects where run_id = $1`, [s.runId])).rows;
    expect(q).toEqual([{ line: 3, rule: 'customers.no_mallory', reason: 'dropped by expectation no_mallory (expression)', first: 'Mallory' }]);
    expect((await results(s.runId))[0]).toMatchObject({ rows_failed: 1, outcome: 'dropped' });
  });

  it('fail rolls the step back and fails the run with sample keys; the results stay', async () => {
    const s = await runWith(`      - { name: last_name_present, rule: not_null, column: last_name, action: fail }\n`, [row(301, 'Ann', ''), row(302, 'Bob'), row(303, 'Cy', '')]);
    expect(s.status).toBe('failed');
    failedRun = s.runId;
    expect(s.message).toMatch(/silver\.customers failed its expectations — last_name_present: 2 of 3 rows, e\.g\. \[\{"customer_id":301\},\{"customer_id":303\}\]/);
    expect(await silverIds(301, 303)).toEqual([]); // rolled back
    expect(await results(s.runId)).toEqual([
      { rule: 'last_name_present', rows_checked: 3, rows_failed: 2, outcome: 'failed', sample_keys: [{ customer_id: 301 }, { customer_id: 303 }] },
    ]);
  });

  it('a threshold lets a small share of failing rows through as a warning, and fails above it', async () => {
    const rule = `      - { name: last_name_present, rule: not_null, column: last_name, action: fail, threshold: "30%" }\n`;
    const below = await runWith(rule, [row(401, 'A', ''), row(402, 'B'), row(403, 'C'), row(404, 'D')]);
    expect(below.status, below.message ?? '').toBe('succeeded');
    expect((await results(below.runId))[0]).toMatchObject({ rows_failed: 1, outcome: 'warned' });
    const above = await runWith(rule, [row(411, 'A', ''), row(412, 'B', ''), row(413, 'C'), row(414, 'D')]);
    expect(above.status).toBe('failed');
    expect((await results(above.runId))[0]).toMatchObject({ rows_failed: 2, outcome: 'failed' });
  });

  it('unique and relationships rules count the rows that break them (checked as joins, not per row)', async () => {
    // silver.locations holds the customer numbers the relationship refers to; AW402 has none.
    await t.rt.pool.query(`insert into silver.locations (cid, country, _file_id, _line, _run_id) values ('AW401', 'Germany', 0, 0, 0), ('AW403', 'Germany', 0, 0, 0)`);
    const s = await runWith(
      `      - { name: last_name_unique, rule: unique, columns: [last_name], action: warn }\n` +
        `      - { name: has_location, rule: relationships, column: customer_number, to_table: locations, to_column: cid, action: warn }\n` +
        // A target column that is not unique (two Kims): joined through its distinct values, so no row counts twice.
        `      - { name: known_last_name, rule: relationships, column: last_name, to_table: customers, to_column: last_name, action: warn }\n`,
      [row(401, 'Ann', 'Kim'), row(402, 'Bob', 'Kim'), row(403, 'Cy', 'Park')],
    );
    expect(s.status, s.message ?? '').toBe('succeeded');
    expect(await results(s.runId)).toEqual([
      { rule: 'has_location', rows_checked: 3, rows_failed: 1, outcome: 'warned', sample_keys: [{ customer_id: 402 }] },
      { rule: 'known_last_name', rows_checked: 3, rows_failed: 0, outcome: 'passed', sample_keys: [] },
      { rule: 'last_name_unique', rows_checked: 3, rows_failed: 2, outcome: 'warned', sample_keys: [{ customer_id: 401 }, { customer_id: 402 }] },
    ]);
    const scores = (await t.rt.pool.query('select row_key, checks_passed, failed_rules from meta.row_scores where run_id = $1 order by row_key', [s.runId])).rows;
    expect(scores).toEqual([
      { row_key: { customer_id: 401 }, checks_passed: 2, failed_rules: ['last_name_unique'] },
      { row_key: { customer_id: 402 }, checks_passed: 1, failed_rules: ['last_name_unique', 'has_location'] },
    ]);
  });

  it('conservation catches a model that silently loses rows', async () => {
    // A deliberately broken model: a trigger swallows the insert of customer 503.
    await t.rt.pool.query(`create function public.lose_503() returns trigger language plpgsql as $$ begin if new.customer_id = 503 then return null; end if; return new; end $$`);
    await t.rt.pool.query('create trigger lose_503 before insert on silver.customers for each row execute function public.lose_503()');
    try {
      const s = await runWith(`      - { rule: conservation, bronze_key: "meta.try_int8(b.cst_id)", silver_key: customer_id, action: fail }\n`, [row(501, 'A'), row(502, 'B'), row(503, 'C')]);
      expect(s.status).toBe('failed');
      expect(s.message).toMatch(/conservation: 1 of 3 rows, e\.g\. \[\{"line":4,"file_id":\d+\}\]/);
    } finally {
      await t.rt.pool.query('drop trigger lose_503 on silver.customers');
      await t.rt.pool.query('drop function public.lose_503()');
    }
    // The same rule passes on the intact model, quarantined rows counting as accounted for.
    const ok = await runWith(`      - { rule: conservation, bronze_key: "meta.try_int8(b.cst_id)", silver_key: customer_id, action: fail }\n`, [row(601, 'A'), 'x,AWx,Bad,Id,S,F,2024-01-15']);
    expect(ok.status, ok.message ?? '').toBe('succeeded');
    expect((await results(ok.runId))[0]).toMatchObject({ rule: 'conservation', rows_checked: 2, rows_failed: 0, outcome: 'passed' });
  });

  it('refuses an expectations file that breaks the schema, naming the problem', async () => {
    const s = await runWith(`      - { rule: not_null, column: "last_name; drop table x", action: fail }\n`, [row(701, 'A')]);
    expect(s.status).toBe('failed');
    expect(s.message).toMatch(/invalid expectations .*silver\.yml: models\.customers\.expectations\.0\.column/);
    // The silver job failed on its own, after its bronze child completed. The child's 'completed'
    // handler (workers/resume-parent.ts) may look at the parent only then: it must not retry it
    // and mark the failed run running (which made this test flaky under load).
    const redis = createRedis(t.config.redisUrl);
    const bronze = new Queue('bronze', { connection: redis, prefix: t.config.queuePrefix });
    const resumer = createParentResumer(t.rt, redis);
    try {
      const child = (await bronze.getCompleted()).find((j) => (j.data as { runId?: number }).runId === s.runId);
      expect(child?.parent?.id).toBeDefined();
      const silver = new Queue('silver', { connection: redis, prefix: t.config.queuePrefix });
      const parentState = async () => (await Job.fromId(silver, child!.parent!.id!))!.getState();
      // The silver jobs of sources without a file have no children and fail on the same file at
      // once; one of them can end the run before the customers job had its turn. Let it fail too.
      if ((await parentState()) !== 'failed') {
        const rt = openRuntime({ ...t.config, expectationsDir: path.join(t.tmp, `case${caseNo}`) }, { poolSize: 2, logger: t.rt.logger });
        const group = startWorkers(rt, { queues: ['silver'], concurrency: 1 });
        try {
          await eventually(async () => ((await parentState()) === 'failed' ? true : undefined), 'the customers silver job to fail', 20_000);
        } finally {
          await group.close();
          await rt.close();
        }
      }
      expect((await Job.fromId(silver, child!.parent!.id!))!.failedReason).toMatch(/invalid expectations/);
      await resumer.resume(child!);
      expect(await parentState()).toBe('failed');
      await silver.close();
    } finally {
      await resumer.close();
      await bronze.close();
      redis.disconnect();
    }
    const run = (await t.rt.pool.query('select status from meta.runs where run_id = $1', [s.runId])).rows[0];
    expect(run.status).toBe('failed');
  });

  it('metalayer freshness says which source is late, and since when', async () => {
    const fresh = await runCli(t.env, ['freshness', '--json']);
    const bySource = Object.fromEntries(JSON.parse(fresh.stdout).sources.map((s: { source: string }) => [s.source, s]));
    expect(bySource.crm_cust_info).toMatchObject({ late: false, maxAgeHours: 26 });
    expect(bySource.erp_px_cat_g1v2).toMatchObject({ late: true, lastLoaded: null, lateSince: null, maxAgeHours: 170 }); // never loaded
    expect(fresh.code).toBe(1);
    // Thirty hours later, the customers export is late since four hours.
    await t.rt.pool.query(`update meta.chunks set loaded_at = now() - interval '30 hours'`);
    const late = JSON.parse((await runCli(t.env, ['freshness', '--json'])).stdout).sources.find((s: { source: string }) => s.source === 'crm_cust_info');
    expect(late.late).toBe(true);
    expect(Math.round((Date.now() - Date.parse(late.lateSince)) / 3_600_000)).toBe(4);
  });

  it('metalayer quality and quarantine show what the expectations found', async () => {
    const latest = await runCli(t.env, ['quality', '--json']);
    expect(latest.code, latest.stderr).toBe(0); // the latest run with results passed them all
    const declared = (r: { results: { rule: string }[] }) => r.results.filter((x) => !x.rule.startsWith('contract_type_'));
    // Besides the declared rules, the type checks derived from the contract (cst_id 'x' is no int).
    expect(JSON.parse(latest.stdout).results).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'contract_type_cst_id', rowsChecked: 2, rowsFailed: 1, outcome: 'warned' })]));
    expect(declared(JSON.parse(latest.stdout))).toEqual([expect.objectContaining({ layer: 'silver', model: 'customers', rule: 'conservation', rowsChecked: 2, rowsFailed: 0, outcome: 'passed' })]);
    const failed = await runCli(t.env, ['quality', '--run', String(failedRun), '--json']);
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.stdout);
    expect({ ...report, results: declared(report) }).toEqual({
      runId: failedRun,
      results: [
        {
          layer: 'silver', model: 'customers', rule: 'last_name_present', rowsChecked: 3, rowsFailed: 2, threshold: null, action: 'fail',
          outcome: 'failed', sampleKeys: [{ customer_id: 301 }, { customer_id: 303 }], modelScore: 0.33333,
        },
      ],
    });
    const quarantine = await runCli(t.env, ['quarantine', '--source', 'crm_cust_info', '--json']);
    expect(quarantine.code).toBe(0);
    const lines = quarantine.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(expect.arrayContaining([expect.objectContaining({ file: expect.stringMatching(/cust_info\.csv$/), line: 3, stage: 'silver', rule: 'customers.no_mallory' })]));
  });
});

describe('reject → fix → replay', () => {
  it('a rule fixed after it dropped rows: replay loads them into silver; the quarantine empties; counts stay conserved', async () => {
    const s = await runWith(`      - { name: no_mallory, rule: expression, sql: "first_name <> 'Mallory'", action: drop }\n`, [row(801, 'Ann'), row(802, 'Mallory')]);
    expect(await silverIds(801, 802)).toEqual([801]);
    const fixed = expectationsDir('fixed-rules', `      - { name: first_name_present, rule: not_null, column: first_name, action: warn }\n`);
    const r = await runCli({ ...t.env, METALAYER_EXPECTATIONS_DIR: fixed }, ['replay', '--run', String(s.runId), '--workers', '1', '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('succeeded');
    expect(out.replay).toMatchObject({ replay: 1, rows: { bronze: 0, silver: 1 }, entities: ['customers'], stillQuarantined: 0 });
    expect(await silverIds(801, 802)).toEqual([801, 802]);
    const f = out.files[0];
    expect(f).toMatchObject({ rowsRead: 2, rowsLoaded: 2, rowsRejected: 0 });
  });

  it('a limit raised after it rejected a row at bronze: replay loads it with its original lineage', async () => {
    const long = row(902, 'L'.repeat(2000));
    const s = await runWith(`      - { rule: not_null, column: customer_number, action: warn }\n`, [row(901, 'Ann'), long, row(903, 'Cy')], { maxRecordBytes: 1024 });
    expect(s.files[0]).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsRejected: 1 });
    const before = (await t.rt.pool.query(`select line, reason from quarantine.rejects where run_id = $1`, [s.runId])).rows;
    expect(before).toEqual([{ line: 3, reason: expect.stringMatching(/longer than the limit of 1024/) }]);
    const r = await runCli(t.env, ['replay', '--run', String(s.runId), '--workers', '1', '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.replay).toMatchObject({ rows: { bronze: 1, silver: 0 }, stillQuarantined: 0 });
    // Read = loaded + still quarantined, for the file and in the ledger.
    expect(out.files[0]).toMatchObject({ rowsRead: 3, rowsLoaded: 3, rowsRejected: 0 });
    const bronze = (await t.rt.pool.query(`select _run_id, _line, length(cst_firstname) as len from bronze.crm_cust_info where cst_id = '902'`)).rows;
    expect(bronze).toEqual([{ _run_id: s.runId, _line: 3, len: 2000 }]);
    expect(await silverIds(901, 903)).toEqual([901, 902, 903]);
    // Nothing left to replay.
    const again = await runCli(t.env, ['replay', '--run', String(s.runId)]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no quarantined rows: nothing to replay/);
  });
});
