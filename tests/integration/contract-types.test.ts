import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceByName } from '../../src/contracts/retail';
import { setRunContext } from '../../src/db/run-context';
import { loadSql } from '../../src/db/sql-files';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { setRunFiles } from '../../src/pipeline/steps';
import { checkContractTypes, STAGED_PARSES } from '../../src/quality/contract-types';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The contract type checks of order lines, customers and ERP customers read silver's staging tables instead of
// parsing bronze again (STAGED_PARSES). Both paths must count the same on dirty values: blanks,
// padded numbers, no calendar day, a 7-digit date, a 20-digit number, signs.
const HEADER = 'sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,sls_sales,sls_quantity,sls_price';
const ROWS = [
  'SO1,BK-R93R-62,11,20240115,20240120,20240125,10,1,10',
  'SO2,BK-R93R-62, 12 , 20240115 ,20240230,0,abc,+2,-5',
  'SO3,BK-R93R-62,,,   ,2024011,99999999999999999999,,',
  'SO4,BK-R93R-62,x1,19000101,20240115,20240131,5,1,5',
];
// Per column: values present (non-blank), and of those the ones that do not parse.
const EXPECTED = {
  sls_cust_id: [3, 1],
  sls_order_dt: [3, 0],
  sls_ship_dt: [3, 1],
  sls_due_dt: [4, 2],
  sls_sales: [4, 2],
  sls_quantity: [3, 0],
  sls_price: [3, 0],
};

const CUSTOMER_HEADER = 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date,cst_email,cst_phone,cst_address,cst_city,cst_postal_code';
const CUSTOMER_ROWS = [
  '11,AW11,Ann,Lee,M,F,2024-01-15,a@example.com,206.555.0100,1 Lake Drive,Seattle,98101',
  ' 12 ,AW12,Bo,Kim,S,M, 2024-01-16 ,,,,,',
  'x1,AW13,Cy,Park,S,M,2024-02-30,,,,,',
  ',AW14,Di,Cho,S,F,,,,,,',
  '99999999999999999999,AW15,Ed,Yoo,M,M,20240115,,,,,',
  '+16,AW16,Fa,Lim,M,F,2024-1-5,,,,,',
];
// Per column: values present (non-blank), and of those the ones that do not parse.
const CUSTOMER_EXPECTED = { cst_id: [5, 2], cst_create_date: [5, 3] }; // 2024-02-30, 20240115, 2024-1-5: not YYYY-MM-DD days

const ERP_HEADER = 'CID,BDATE,GEN';
const ERP_ROWS = ['NASAW11,1980-05-01,F', 'AW12, 1981-02-03 ,M', 'AW13,2030-01-01,F', 'AW14,,M', 'AW15,1980-02-30,F', 'AW16,19800501,M'];
// A birthdate after the as-of date parses (silver then drops it by its rule, not as a bad value).
const ERP_EXPECTED = { bdate: [5, 2] }; // 1980-02-30, 19800501: not YYYY-MM-DD days

let t: TestEnv;
let runId: number;

beforeAll(async () => {
  t = await createTestEnv('contract_types');
  const dir = path.join(t.tmp, 'in');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'sales_details.csv'), `${[HEADER, ...ROWS].join('\n')}\n`);
  writeFileSync(path.join(dir, 'cust_info.csv'), `${[CUSTOMER_HEADER, ...CUSTOMER_ROWS].join('\n')}\n`);
  writeFileSync(path.join(dir, 'CUST_AZ12.csv'), `${[ERP_HEADER, ...ERP_ROWS].join('\n')}\n`);
  const summary = await runPipeline(t.rt, { inputDir: dir, asOf: '2025-06-30', workers: 1 });
  runId = summary.runId;
});
afterAll(async () => t?.cleanup());

type Counts = Record<string, number[]>;
const counts = (rs: Awaited<ReturnType<typeof checkContractTypes>>): Counts =>
  Object.fromEntries(rs.map((r) => [r.rule.replace('contract_type_', ''), [r.rowsChecked, r.rowsFailed]]));

/** Runs `body` after the source's silver SQL (which creates its staging table, as the step does), in a transaction rolled back after. */
async function afterSilverSql<T>(source: string, file: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await t.rt.pool.connect();
  try {
    await client.query('begin');
    await setRunContext(client, { runId, asOf: '2025-06-30' });
    await setRunFiles(client, runId, source);
    await client.query(loadSql(file));
    return await body(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** The counts the run's silver step stored for these columns. */
async function storedCounts(columns: string[]): Promise<Counts> {
  const { rows } = await t.rt.pool.query(
    `select rule, rows_checked::int as n, rows_failed::int as f from meta.quality_results where run_id = $1 and rule = any($2)`,
    [runId, columns.map((c) => `contract_type_${c}`)],
  );
  return Object.fromEntries(rows.map((r) => [r.rule.replace('contract_type_', ''), [r.n, r.f]]));
}

/**
 * The source's checks count `expected` from its staging table (`relation`, after the silver SQL
 * `file`) as from bronze; without the table the staged path fails instead of reading bronze; and
 * the run's step stored the same counts.
 */
async function expectStagedAsBronze(source: string, file: string, relation: string, expected: Counts): Promise<void> {
  const contract = sourceByName(source)!;
  expect(STAGED_PARSES[source]!.relation).toBe(relation);
  expect(Object.keys(STAGED_PARSES[source]!.columns).sort()).toEqual(Object.keys(expected).sort());
  await afterSilverSql(source, file, async (client) => {
    expect(counts(await checkContractTypes(client, contract, { fromBronze: true }))).toEqual(expected);
    expect(counts(await checkContractTypes(client, contract))).toEqual(expected);
    await client.query(`drop table ${relation}`);
    await expect(checkContractTypes(client, contract)).rejects.toThrow(new RegExp(relation));
  });
  expect(await storedCounts(Object.keys(expected))).toEqual(expected);
}

describe('contract type checks', () => {
  it('of order lines count the same from the staging table as from bronze, and the step stores those counts', async () => {
    await expectStagedAsBronze('crm_sales_details', 'silver/sales.sql', 'stg_sales', EXPECTED);
  });

  it('of customers count the same from stg_customers as from bronze, and the step stores those counts', async () => {
    await expectStagedAsBronze('crm_cust_info', 'silver/customers.sql', 'stg_customers', CUSTOMER_EXPECTED);
  });

  it('of ERP customers count the same from ranked_erp_customers as from bronze, a future birthdate as parsed', async () => {
    await expectStagedAsBronze('erp_cust_az12', 'silver/erp_customers.sql', 'ranked_erp_customers', ERP_EXPECTED);
  });
});
