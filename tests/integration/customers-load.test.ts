import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults';
import { setRunContext } from '../../src/db/run-context';
import { runScript } from '../../src/pipeline/run-script';
import { applyStepSettings, setRunFiles } from '../../src/pipeline/steps';
import { firstLoad } from '../helpers/first-load';
import { inRolledBackTransaction } from '../helpers/pooled';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The two ways sql/silver/customers.sql fills silver.customers: an empty table (a first load, a
// backfill) takes its winners by one sorted pass and names the losers after the insert; a table
// with rows ranks the run's rows against silver's, then updates and inserts. On the same dirty file
// both must give the same silver rows and the same rejects, reasons (the winner's file and line)
// and records included.
let t: TestEnv;
let runId: number;
let expected: Snapshot;
const AS_OF = '2025-06-30';
const SOURCE = 'crm_cust_info';
const PLANTED = -1; // a customer id no file has: its row makes the table non-empty

// Dirt of our own besides the generator's repeated customers: a tie on the create date (the later
// line wins), an older date, a missing date (NULLs last), a row without a key, a non-integer key.
const EXTRA_LINES = [
  '900001,AW00900001,Tie,First,S,F,2024-01-10,tie1@example.com,,,,',
  '900001,AW00900001,Tie,Second,S,F,2024-01-10,tie2@example.com,,,,',
  '900002,AW00900002,New,Date,M,M,2024-03-01,,,,,',
  '900002,AW00900002,Old,Date,M,M,2023-03-01,,,,,',
  '900003,AW00900003,No,Date,M,M,,,,,,',
  '900003,AW00900003,Has,Date,M,M,2020-01-01,,,,,',
  ',AW00900004,No,Key,S,F,2024-01-01,,,,,',
  'x5,AW00900005,Bad,Key,S,F,2024-01-01,,,,,',
];

interface Snapshot {
  customers: { n: number; digest: string };
  rejects: { n: number; superseded: number; digest: string };
}

async function snapshot(c: pg.ClientBase): Promise<Snapshot> {
  const customers = (
    await c.query(
      `select count(*)::int as n,
              md5(string_agg(concat_ws('|', customer_id, customer_number, first_name, last_name, marital_status, gender, create_date,
                  email, phone, address, city, postal_code, quality_score, _file_id, _line, _run_id), E'\\n' order by customer_id)) as digest
         from silver.customers where customer_id <> $1`,
      [PLANTED],
    )
  ).rows[0];
  const rejects = (
    await c.query(
      `select count(*)::int as n, count(*) filter (where rule = 'customers.superseded')::int as superseded,
              md5(string_agg(concat_ws('|', file_id, line, rule, reason, record::text), E'\\n' order by file_id, line, rule)) as digest
         from quarantine.rejects where run_id = $1 and stage = 'silver' and source = $2`,
      [runId, SOURCE],
    )
  ).rows[0];
  return { customers, rejects };
}

/**
 * In a transaction rolled back: the step's settings and context, silver.customers and the run's
 * silver rejects emptied (`planted`: then one row of a customer the file lacks), the step's SQL
 * run. Returns what it left and how many rows it ranked against silver.
 */
async function reload(planted: boolean): Promise<{ seen: Snapshot; ranked: number; rowsChanged: number }> {
  return inRolledBackTransaction(t.rt.pool, async (c) => {
    await applyStepSettings(c, DEFAULTS.stepWorkMem, 'silver');
    await setRunContext(c, { runId, asOf: AS_OF });
    await setRunFiles(c, runId, SOURCE);
    await c.query('truncate silver.customers');
    await c.query(`delete from quarantine.rejects where run_id = $1 and stage = 'silver' and source = $2`, [runId, SOURCE]);
    if (planted) {
      await c.query(
        `insert into silver.customers (customer_id, marital_status, gender, quality_score, _file_id, _line, _run_id)
         select $1, 'n/a', 'n/a', 0, min(file_id), 0, 0 from meta.run_files where run_id = $2`,
        [PLANTED, runId],
      );
    }
    const result = await runScript(c, 'silver/customers.sql', 'silver step customers');
    const ranked = Number((await c.query('select count(*) as n from ranked_customers')).rows[0].n);
    const planted_ = (await c.query('select count(*)::int as n from silver.customers where customer_id = $1', [PLANTED])).rows[0].n;
    expect(planted_).toBe(planted ? 1 : 0);
    return { seen: await snapshot(c), ranked, rowsChanged: Number(result?.rows_changed) };
  });
}

beforeAll(async () => {
  t = await createTestEnv('customers_load');
  runId = await firstLoad(t, { customers: 1500, seed: 7, asOf: AS_OF }, (input) =>
    appendFileSync(path.join(input, 'source_crm', 'cust_info.csv'), `${EXTRA_LINES.join('\n')}\n`),
  );
  expected = await snapshot(t.rt.pool as unknown as pg.ClientBase);
});
afterAll(async () => t?.cleanup());

describe('loading the customers of a first load into silver', () => {
  it("the pipeline's first load keeps one row per customer and names every loser with its winner", async () => {
    expect(expected.customers.n).toBeGreaterThan(1500);
    // The generator's repeated customers and ours (3); its rows without a usable key and ours (2).
    expect(expected.rejects.superseded).toBeGreaterThan(3);
    const keyless = await t.rt.pool.query(
      `select record->>'cst_key' as key, rule from quarantine.rejects where run_id = $1 and record->>'cst_key' in ('AW00900004', 'AW00900005') order by 1`,
      [runId],
    );
    expect(keyless.rows).toEqual([
      { key: 'AW00900004', rule: 'customers.cst_id_not_null' },
      { key: 'AW00900005', rule: 'customers.cst_id_integer' },
    ]);
    const ours = await t.rt.pool.query(
      `select c.customer_id::int as id, c.last_name, r.reason
         from silver.customers c
         join quarantine.rejects r on r.run_id = $1 and r.rule = 'customers.superseded' and r.record->>'cst_id' = c.customer_id::text
        where c.customer_id between 900001 and 900003 order by 1`,
      [runId],
    );
    expect(ours.rows.map((r) => [r.id, r.last_name])).toEqual([[900001, 'Second'], [900002, 'Date'], [900003, 'Date']]);
    const winner = await t.rt.pool.query(`select _file_id::int as f, _line::int as l from silver.customers where customer_id = 900001`);
    expect(ours.rows[0].reason).toBe(`customer 900001: superseded by the row of file ${winner.rows[0].f} line ${winner.rows[0].l} (newer create date, or loaded later)`);
    expect(
      (await t.rt.pool.query(`select first_name from silver.customers where customer_id in (900002, 900003) order by customer_id`)).rows.map((r) => r.first_name),
    ).toEqual(['New', 'Has']);
  });

  it('an empty table takes the sorted pass, a table with rows the ranking: the same rows, rejects, reasons and count', async () => {
    const whole = await reload(false);
    expect(whole.ranked).toBe(0);
    expect(whole.seen).toEqual(expected);
    expect(whole.rowsChanged).toBe(expected.customers.n);
    const ranked = await reload(true);
    expect(ranked.ranked).toBeGreaterThan(expected.customers.n);
    expect(ranked.seen).toEqual(expected);
    expect(ranked.rowsChanged).toBe(expected.customers.n);
    // Nothing committed.
    expect(await snapshot(t.rt.pool as unknown as pg.ClientBase)).toEqual(expected);
  });
});
