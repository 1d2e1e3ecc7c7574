import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { sourceByName } from '../../src/contracts/retail';
import { setRunContext } from '../../src/db/run-context';
import { loadSales } from '../../src/pipeline/sales-load';
import { startSalesRunIndex } from '../../src/pipeline/sales-run-index';
import { applyStepSettings, runSilverStep, setRunFiles } from '../../src/pipeline/steps';
import { checkContractTypes } from '../../src/quality/contract-types';
import { loadSql } from '../../src/db/sql-files';
import { inRolledBackTransaction } from '../helpers/pooled';
import { partitionsOf } from '../helpers/partitions';
import { currentSettings, settingsWhenSent } from '../helpers/settings-spy';
import { firstLoad } from '../helpers/first-load';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The two ways the order lines' silver step fills silver.sales (src/pipeline/sales-load.ts): an
// empty table is built whole (CREATE TABLE AS of meta.run_sales_image, its parse flags counted from
// it, then attached as the parent's partition: migration 032), otherwise sql/silver/sales.sql
// stages and inserts. On the same dirty file both must give the same silver rows, rejects, type
// counts and indexes; a failed build must leave the step to roll back cleanly.
let t: TestEnv;
let runId: number;
let expected: Snapshot;
const AS_OF = '2025-06-30';
const SOURCE = 'crm_sales_details';

// Dirt added to the generated file: lines without a key, a line repeated later (the later one
// wins, the earlier is quarantined), and values that do not parse.
const EXTRA_LINES = [
  ',BK-R93R-62,11,20240115,20240120,20240125,10,1,10',
  'SO-X1,  ,11,20240115,20240120,20240125,10,1,10',
  'SO-X2,BK-R93R-62, 12 , 20240115 ,20240230,0,abc,+2,-5',
  'SO-X3,BK-R93R-62,,,   ,2024011,99999999999999999999,,',
  'SO-X4,BK-R93R-62,x1,19000101,20240115,20240131,5,1,5',
  'SO-X2,BK-R93R-62,13,20240116,20240121,20240126,20,2,10',
];

interface Snapshot {
  sales: { n: number; digest: string };
  rejects: { n: number; digest: string };
  types: Record<string, [number, number]>;
  indexes: string[];
}

async function snapshot(c: pg.ClientBase, types: Snapshot['types']): Promise<Snapshot> {
  const sales = (
    await c.query(
      `select count(*)::int as n, md5(string_agg(concat_ws('|', order_number, product_number, customer_id, order_date, ship_date, due_date,
              sales_amount, quantity, price, _file_id, _line, _run_id), E'\\n' order by order_number, product_number)) as digest
         from silver.sales`,
    )
  ).rows[0];
  const rejects = (
    await c.query(
      `select count(*)::int as n, md5(string_agg(concat_ws('|', file_id, line, rule, reason, record::text), E'\\n' order by file_id, line, rule)) as digest
         from quarantine.rejects where run_id = $1 and stage = 'silver' and source = $2`,
      [runId, SOURCE],
    )
  ).rows[0];
  const indexes = (await c.query(`select indexdef from pg_indexes where schemaname = 'silver' and tablename = 'sales' order by 1`)).rows.map((r) => r.indexdef);
  return { sales, rejects, types, indexes };
}

/** The run's contract type counts as the silver step stored them. */
async function storedTypeCounts(): Promise<Snapshot['types']> {
  const { rows } = await t.rt.pool.query(
    `select rule, rows_checked::int as n, rows_failed::int as f from meta.quality_results where run_id = $1 and rule like 'contract\\_type\\_sls%'`,
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.rule.replace('contract_type_', ''), [r.n, r.f]]));
}

const typeCounts = (rs: Awaited<ReturnType<typeof checkContractTypes>>): Snapshot['types'] =>
  Object.fromEntries(rs.map((r) => [r.rule.replace('contract_type_', ''), [r.rowsChecked, r.rowsFailed]]));

/** In the step's transaction: its settings and run context, silver.sales and the run's silver rejects emptied. */
async function emptyStep(c: pg.ClientBase): Promise<void> {
  await applyStepSettings(c, DEFAULTS.stepWorkMem, 'silver');
  await setRunContext(c, { runId, asOf: AS_OF });
  await setRunFiles(c, runId, SOURCE);
  await c.query('truncate silver.sales');
  await c.query(`delete from quarantine.rejects where run_id = $1 and stage = 'silver' and source = $2`, [runId, SOURCE]);
}

/** The rows of meta.silver_sales_span (a first load's count of the lines kept, for the facts step: migration 038) and, beside each, a scan of the run's lines. */
async function spans(c: pg.ClientBase): Promise<{ kept: string; scanned: string }[]> {
  const { rows } = await c.query(
    `select concat_ws('|', s.run_id, s.lines, s.first_day, s.last_day, s.lo, s.hi) as kept,
            (select concat_ws('|', $1::bigint, count(*), min(order_date), max(order_date), least(min(order_date), min(ship_date), min(due_date)),
                              greatest(max(order_date), max(ship_date), max(due_date)))
               from silver.sales where _run_id = $1) as scanned
       from meta.silver_sales_span s`,
    [runId],
  );
  return rows;
}

/** Empties silver.sales and the run's silver rejects, runs loadSales in a transaction that is rolled back; returns what it saw. */
async function reload(opts: { whole?: boolean; readWorkers?: number }, before?: (c: pg.ClientBase) => Promise<void>) {
  return inRolledBackTransaction(t.rt.pool, async (c) => {
    await emptyStep(c);
    await before?.(c);
    const load = await loadSales(c, opts);
    const types = typeCounts(await checkContractTypes(c, sourceByName(SOURCE)!, { tally: load.tally }));
    return { load, seen: await snapshot(c, types), partitions: await partitionsOf(c, 'silver.sales'), spans: await spans(c) };
  });
}

beforeAll(async () => {
  t = await createTestEnv('sales_load');
  runId = await firstLoad(t, { customers: 1500, seed: 5, asOf: AS_OF }, (input) =>
    appendFileSync(path.join(input, 'source_crm', 'sales_details.csv'), `${EXTRA_LINES.join('\n')}\n`),
  );
  expected = await snapshot(t.rt.pool as unknown as pg.ClientBase, await storedTypeCounts());
});
afterAll(async () => t?.cleanup());

describe('loading the order lines of a first load into silver', () => {
  it('the pipeline\'s silver rows hold the dirt: rejects for the keyless and the repeated line, type failures counted', () => {
    expect(expected.sales.n).toBeGreaterThan(1000);
    // Two lines without a key, and SO-X2's first line superseded by its later one.
    expect(expected.rejects.n).toBe(3);
    expect(expected.types.sls_cust_id![1]).toBeGreaterThanOrEqual(1); // ' 12 ' parses, 'x1' does not
    expect(expected.types.sls_sales![1]).toBeGreaterThanOrEqual(2); // 'abc', twenty digits
    // The parent's key; the run index is the partition's own (migration 039).
    expect(expected.indexes).toEqual(['CREATE UNIQUE INDEX sales_pkey ON ONLY silver.sales USING btree (order_number, product_number)']);
  });

  it('builds an empty table whole and attaches it, and stages otherwise, with the same rows, rejects, type counts and indexes', async () => {
    const before = await partitionsOf(t.rt.pool as unknown as pg.ClientBase, 'silver.sales');
    // One partition, the default (migration 032), with the parent's key and its own run index,
    // which the pipeline's gold job built after the whole load (migration 039).
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ partition: 'silver.sales_rows', bound: 'DEFAULT' });
    expect(before[0]!.indexes).toEqual(['silver.sales_rows_pkey -> silver.sales_pkey', 'silver.sales_rows_run_idx -> -']);
    const whole = await reload({});
    expect(whole.load.path).toBe('swap');
    // Every line of the run is counted: the two without a key (flagged, then deleted) and the
    // superseded one (built, then removed when the attach found its key twice).
    expect(whole.load.tally?.rows).toBe(expected.sales.n + 3);
    expect(whole.load.tally?.bits[14]).toBe(2);
    expect(whole.seen).toEqual(expected);
    // The step's count of the run's lines, kept by the build instead of counted (less the two
    // keyless lines and the superseded one), is the table's.
    expect(Number(whole.load.result?.rows_changed)).toBe(expected.sales.n);
    expect(whole.partitions).toHaveLength(1);
    expect(whole.partitions[0]).toMatchObject({ partition: 'silver.sales_rows', bound: 'DEFAULT' });
    // The attach built the key; the run index is left to the run's gold job (below).
    expect(whole.partitions[0]!.indexes).toEqual(['silver.sales_rows_pkey -> silver.sales_pkey']);
    // The read with parallel workers (METALAYER_SALES_READ_WORKERS) gives the same.
    const parallel = await reload({ readWorkers: 2 });
    expect(parallel.load.path).toBe('swap');
    expect(parallel.load.tally).toEqual(whole.load.tally);
    expect(parallel.seen).toEqual(expected);
    expect(Number(parallel.load.result?.rows_changed)).toBe(expected.sales.n);
    // The attach found the repeated line and removed it: no count of the lines kept for the facts step.
    expect(whole.spans).toEqual([]);
    const staged = await reload({ whole: false });
    expect(staged.load.path).toBe('upsert');
    expect(staged.spans).toEqual([]);
    expect(staged.load.tally).toBeUndefined();
    expect(staged.seen).toEqual(expected);
    expect(Number(staged.load.result?.rows_changed)).toBe(expected.sales.n);
    // Nothing committed: the warehouse is as the pipeline left it.
    expect(await snapshot(t.rt.pool as unknown as pg.ClientBase, expected.types)).toEqual(expected);
  });

  it("the partition's run index: left by a whole load to the gold job's meta.ensure_silver_sales_run_index, built by the update path when missing", async () => {
    const runIndex = (c: pg.ClientBase) => c.query(`select to_regclass('silver.sales_rows_run_idx') is not null as present`).then((r) => r.rows[0].present as boolean);
    const ensure = (c: pg.ClientBase) => c.query('select meta.ensure_silver_sales_run_index() as built').then((r) => r.rows[0].built as boolean);
    const runLines = (c: pg.ClientBase) => c.query('select count(*)::int as n from silver.sales where _run_id = $1', [runId]).then((r) => r.rows[0].n as number);
    const whole = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await emptyStep(c);
      const load = await loadSales(c, {});
      const after = await runIndex(c);
      const built = [await ensure(c), await ensure(c)];
      // The index it built is a BRIN on _run_id that finds every line of the run.
      await c.query(`select set_config('enable_seqscan', 'off', true)`);
      const plan = (await c.query('explain select count(*) from silver.sales where _run_id = $1', [runId])).rows.map((r) => r['QUERY PLAN']).join('\n');
      return { path: load.path, after, built, plan, lines: await runLines(c) };
    });
    expect(whole).toMatchObject({ path: 'swap', after: false, built: [true, false], lines: expected.sales.n });
    expect(whole.plan).toMatch(/Bitmap Index Scan on sales_rows_run_idx/);
    // The update path (a table with rows), the index gone: the step builds it before it counts
    // the run's lines by it.
    const upsert = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'silver');
      await setRunContext(c, { runId, asOf: AS_OF });
      await setRunFiles(c, runId, SOURCE);
      await c.query('drop index silver.sales_rows_run_idx');
      const load = await loadSales(c, {});
      return { path: load.path, after: await runIndex(c), rowsChanged: Number(load.result?.rows_changed) };
    });
    expect(upsert).toEqual({ path: 'upsert', after: true, rowsChanged: expected.sales.n });
  });

  it("without repeated lines, a whole load counts the lines it keeps for the facts step: the keyless ones left out, the same as a scan", async () => {
    // The earlier of SO-X2's two lines gone from bronze (in the rolled-back transaction): no line repeats.
    const unrepeated = await reload({}, async (c) => {
      const { rowCount } = await c.query(`delete from bronze.crm_sales_details where sls_ord_num = 'SO-X2' and sls_sales = 'abc'`);
      expect(rowCount).toBe(1);
    });
    expect(unrepeated.load.path).toBe('swap');
    expect(unrepeated.load.tally?.bits[14]).toBe(2); // the two keyless lines were read
    expect(unrepeated.seen.sales.n).toBe(expected.sales.n);
    expect(unrepeated.spans).toHaveLength(1);
    expect(unrepeated.spans[0]!.kept).toBe(unrepeated.spans[0]!.scanned);
    expect(unrepeated.spans[0]!.kept).toMatch(new RegExp(`^${runId}\\|${expected.sales.n}\\|\\d{4}-`));
  });

  it("the step's statistics: the partition analysed once, by the parent's analyse when that is due, else alone", async () => {
    // The step's closing statement that analyses (sql/silver/sales_keys_and_rejects.sql), run on
    // the pipeline's warehouse with the parent's analyse due and not due: ANALYZE of a partitioned
    // table analyses its partitions too, so the partition must not be analysed again after it.
    const statement = /^do \$\$[\s\S]*?end \$\$;$/m.exec(loadSql('silver/sales_keys_and_rejects.sql'))![0];
    expect(statement).toMatch(/analyze_if_stale\('silver\.sales'/);
    const analyses = (due: boolean) =>
      inRolledBackTransaction(t.rt.pool, async (c) => {
        if (due) await c.query(`delete from meta.analysed_tables where relid = 'silver.sales'::regclass`);
        else await c.query(`select meta.analyze_if_stale('silver.sales')`); // recorded as analysed now: not due below
        // The statistics system's counters, read afresh (a transaction caches what it read of them).
        const count = async () => Number((await c.query(`select pg_stat_clear_snapshot(), pg_stat_get_analyze_count('silver.sales_rows'::regclass) as n`)).rows[0].n);
        // When the parent was last analysed by meta.analyze_if_stale (none: never).
        const mark = async () => (await c.query(`select analysed_at::text as at from meta.analysed_tables where relid = 'silver.sales'::regclass`)).rows[0]?.at ?? null;
        const [before, marked] = [await count(), await mark()];
        await c.query(statement);
        return { partition: (await count()) - before, parentAnalysed: (await mark()) !== marked };
      });
    expect(await analyses(true)).toEqual({ partition: 1, parentAnalysed: true });
    expect(await analyses(false)).toEqual({ partition: 1, parentAnalysed: false });
  });

  it("the image's repairs and parse flags are computed in the parallel read's workers, the leader only writes", async () => {
    // Migration 033: the subquery fence of meta.run_sales_image must not stop the planner from
    // scanning it in parallel (an `OFFSET 0` written as an integer did: every column above the
    // fence was computed in the leader). Parallel made cheap here, as at seed scale it is.
    const plan = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await applyStepSettings(c, DEFAULTS.stepWorkMem, 'silver');
      await setRunContext(c, { runId, asOf: AS_OF });
      await setRunFiles(c, runId, SOURCE);
      await c.query(`select set_config('max_parallel_workers_per_gather', '2', true), set_config('parallel_setup_cost', '0', true),
                            set_config('parallel_tuple_cost', '0', true), set_config('min_parallel_table_scan_size', '0', true)`);
      return (await c.query('explain (format json, verbose) select * from meta.run_sales_image')).rows[0]['QUERY PLAN'][0].Plan;
    });
    expect(plan['Node Type']).toBe('Gather');
    const scan = plan.Plans.find((p: { 'Parent Relationship': string }) => p['Parent Relationship'] === 'Outer');
    expect(scan['Node Type']).toBe('Subquery Scan');
    // Below the Gather: the repaired amounts and the flags are computed by the subquery scan.
    expect(scan.Output.join(' ')).toMatch(/16384/);
  });

  it("a whole load's CREATE TABLE AS runs with its read workers and a leader that only writes; the step gets its settings back", async () => {
    const names = ['parallel_leader_participation', 'max_parallel_workers_per_gather', 'parallel_tuple_cost'];
    const seen = await inRolledBackTransaction(t.rt.pool, async (c) => {
      await emptyStep(c);
      // A value of the step's own, not the server's: it must come back as it was, not reset.
      await c.query(`select set_config('max_parallel_workers_per_gather', '1', true)`);
      const before = await currentSettings(c, names);
      const spy = settingsWhenSent(c, /create table silver\.sales_load/, names);
      try {
        await loadSales(c, { readWorkers: 3 });
      } finally {
        spy.stop();
      }
      return { before, during: spy.seen, after: await currentSettings(c, names) };
    });
    expect(seen.during).toEqual([{ parallel_leader_participation: 'off', max_parallel_workers_per_gather: '3', parallel_tuple_cost: '0.01' }]);
    expect(seen.before).toMatchObject({ parallel_leader_participation: 'on', max_parallel_workers_per_gather: '1' });
    expect(seen.after).toEqual(seen.before);
  });

  it('a build that fails fails the step with the file named, and its transaction rolls back with nothing left behind', async () => {
    // The build's own name taken by a leftover table: CREATE TABLE AS fails.
    const taken = async (c: pg.ClientBase): Promise<void> => {
      await c.query('create table silver.sales_load (x int)');
    };
    await expect(reload({}, taken)).rejects.toThrow(/sql\/silver\/sales_first_load\.sql.*already exists/);
    const pool = t.rt.pool as unknown as pg.ClientBase;
    expect(await snapshot(pool, expected.types)).toEqual(expected);
    expect((await partitionsOf(pool, 'silver.sales')).map((p) => [p.partition, p.bound])).toEqual([['silver.sales_rows', 'DEFAULT']]);
    expect((await pool.query(`select to_regclass('silver.sales_load') as t`)).rows[0].t).toBeNull();
  });

  // Last: it commits. The step itself, run again on the run's lines, says which path it took.
  it('the silver step reports its path: upsert into a table with rows, swap into an empty one, with the same warehouse', async () => {
    const pool = t.rt.pool as unknown as pg.ClientBase;
    const again = await runSilverStep(t.rt.pool, DEFAULTS.stepWorkMem, runId, 'sales', SOURCE);
    expect(again.path).toBe('upsert');
    await t.rt.pool.query('truncate silver.sales');
    const first = await runSilverStep(t.rt.pool, DEFAULTS.stepWorkMem, runId, 'sales', SOURCE);
    expect(first.path).toBe('swap');
    expect(first.rows).toBe(expected.sales.n);
    expect(await snapshot(pool, await storedTypeCounts())).toEqual(expected);
  });

  it("the run index's build: two at once build it once, the second waits and finds it; a failure is logged and never fails the gold job", async () => {
    await t.rt.pool.query('drop index if exists silver.sales_rows_run_idx');
    const first = await t.rt.pool.connect();
    try {
      await first.query('begin');
      expect((await first.query('select meta.ensure_silver_sales_run_index() as built')).rows[0].built).toBe(true);
      // The second caller (the next run's order lines, say) waits for the first's lock.
      const second = t.rt.pool.query('select meta.ensure_silver_sales_run_index() as built');
      let settled = false;
      void second.finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await first.query('commit');
      expect((await second).rows[0].built).toBe(false);
    } finally {
      first.release();
    }
    // The gold job's call (src/pipeline/sales-run-index.ts): the index there, nothing to build.
    const warned: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => void warned.push(args) };
    expect(await startSalesRunIndex(t.rt.pool, logger as never)).toBe(false);
    expect(warned).toEqual([]);
    // Missing, and its build failing (the function taken away): a warning and false, no rejection.
    await t.rt.pool.query('drop index silver.sales_rows_run_idx');
    await t.rt.pool.query('alter function meta.ensure_silver_sales_run_index() rename to ensure_taken_away');
    try {
      expect(await startSalesRunIndex(t.rt.pool, logger as never)).toBe(false);
    } finally {
      await t.rt.pool.query('alter function meta.ensure_taken_away() rename to ensure_silver_sales_run_index');
    }
    expect(JSON.stringify(warned)).toMatch(/ensure_silver_sales_run_index.*does not exist/);
    expect(await startSalesRunIndex(t.rt.pool, logger as never)).toBe(true);
  });

  it("a step's transaction names the step in application_name (pg_stat_activity, the bench's CPU by step), and the pool's name comes back after", async () => {
    const client = await t.rt.pool.connect();
    try {
      const poolName = (await client.query('show application_name')).rows[0].application_name as string;
      expect(poolName).toMatch(/^metalayer\/\d+$/);
      await client.query('begin');
      await applyStepSettings(client, DEFAULTS.stepWorkMem, 'silver', 'sales');
      const inStep = await client.query('select application_name from pg_stat_activity where pid = pg_backend_pid()');
      expect(inStep.rows[0].application_name).toBe(`${poolName} silver/sales`);
      await client.query('commit');
      expect((await client.query('show application_name')).rows[0].application_name).toBe(poolName);
    } finally {
      client.release();
    }
  });
});
