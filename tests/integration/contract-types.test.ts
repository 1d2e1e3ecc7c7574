import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceByName } from '../../src/contracts/retail';
import { setRunContext } from '../../src/db/run-context';
import { loadSql } from '../../src/db/sql-files';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { setRunFiles } from '../../src/pipeline/steps';
import { checkContractTypes, STAGED_PARSES } from '../../src/quality/contract-types';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The contract type checks of order lines read silver's staging table instead of parsing bronze
// again (STAGED_PARSES). Both paths must count the same on dirty values: blanks, padded numbers,
// no calendar day, a 7-digit date, a 20-digit number, signs.
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

let t: TestEnv;
let runId: number;

beforeAll(async () => {
  t = await createTestEnv('contract_types');
  const dir = path.join(t.tmp, 'in');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'sales_details.csv'), `${[HEADER, ...ROWS].join('\n')}\n`);
  const summary = await runPipeline(t.rt, { inputDir: dir, asOf: '2025-06-30', workers: 1 });
  runId = summary.runId;
});
afterAll(async () => t?.cleanup());

describe('contract type checks of order lines', () => {
  it('count the same from the staging table as from bronze, and the step stores those counts', async () => {
    const contract = sourceByName('crm_sales_details')!;
    expect(Object.keys(STAGED_PARSES.crm_sales_details!.columns).sort()).toEqual(Object.keys(EXPECTED).sort());
    const client = await t.rt.pool.connect();
    try {
      await client.query('begin');
      await setRunContext(client, { runId, asOf: '2025-06-30' });
      await setRunFiles(client, runId, 'crm_sales_details');
      await client.query(loadSql('silver/sales.sql')); // creates stg_sales, as the step does
      const staged = await checkContractTypes(client, contract);
      const bronze = await checkContractTypes(client, contract, { fromBronze: true });
      const counts = (rs: typeof staged) => Object.fromEntries(rs.map((r) => [r.rule.replace('contract_type_', ''), [r.rowsChecked, r.rowsFailed]]));
      expect(counts(bronze)).toEqual(EXPECTED);
      expect(counts(staged)).toEqual(EXPECTED);
    } finally {
      await client.query('rollback');
      client.release();
    }
    const { rows } = await t.rt.pool.query(
      `select rule, rows_checked::int as n, rows_failed::int as f from meta.quality_results
        where run_id = $1 and rule like 'contract\\_type\\_sls%' order by rule`,
      [runId],
    );
    expect(Object.fromEntries(rows.map((r) => [r.rule.replace('contract_type_', ''), [r.n, r.f]]))).toEqual(EXPECTED);
  });
});
