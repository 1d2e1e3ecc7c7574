import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bronzeColumns, bronzeCreateSql, bronzeDrift } from '../../src/contracts/bronze-ddl';
import { RETAIL_SOURCES } from '../../src/contracts/retail';
import { SourceContractSchema, col } from '../../src/contracts/source-contract';
import { buildDataDictionary, NO_DESCRIPTION } from '../../src/docs/data-dictionary';
import { ROOT, runCli } from '../helpers/processes';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// One contract per source; the database must follow it, and the data dictionary is generated
// from the contracts, the catalog and the model files.
let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('contracts');
});
afterAll(async () => t?.cleanup());

describe('contracts and the database', () => {
  it('every bronze table has exactly the columns and types its contract implies', async () => {
    expect(await bronzeDrift(t.rt.pool, RETAIL_SOURCES)).toEqual([]);
    const cols = (await t.rt.pool.query(`select column_name as name, data_type as type from information_schema.columns where table_schema = 'bronze' and table_name = 'erp_loc_a101' order by ordinal_position`)).rows;
    expect(cols).toEqual(bronzeColumns(RETAIL_SOURCES.find((s) => s.name === 'erp_loc_a101')!));
  });

  it('names every disagreement, with the statement that would fix it', async () => {
    const base = RETAIL_SOURCES.find((s) => s.name === 'erp_loc_a101')!;
    const grown = SourceContractSchema.parse({ ...base, columns: [...base.columns, col('region', 'text', 'Sales region.', { required: false })] });
    await t.rt.pool.query('alter table bronze.erp_loc_a101 add column legacy_code text');
    try {
      const drift = await bronzeDrift(t.rt.pool, [grown]);
      expect(drift).toEqual([
        { source: 'erp_loc_a101', problem: 'column region is in the contract, not in bronze.erp_loc_a101', fix: 'alter table "bronze"."erp_loc_a101" add column "region" text;' },
        { source: 'erp_loc_a101', problem: 'column legacy_code of bronze.erp_loc_a101 is not in the contract', fix: expect.stringContaining('add legacy_code to the contract') },
      ]);
      const r = await runCli(t.env, ['docs', '--out', path.join(t.tmp, 'dict.md')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/contract drift: column legacy_code of bronze\.erp_loc_a101 is not in the contract/);
    } finally {
      await t.rt.pool.query('alter table bronze.erp_loc_a101 drop column legacy_code');
    }
    const missing = await bronzeDrift(t.rt.pool, [{ ...base, name: 'erp_new_feed' }]);
    expect(missing[0]!.fix).toBe(bronzeCreateSql({ ...base, name: 'erp_new_feed' }));
  });
});

describe('metalayer docs', () => {
  it('the committed data dictionary is the one the contracts and the database give, with every column described', async () => {
    const text = await buildDataDictionary(t.rt.pool, RETAIL_SOURCES);
    expect(readFileSync(path.join(ROOT, 'docs/data-dictionary.md'), 'utf8'), 'docs/data-dictionary.md is stale: run `metalayer docs`').toBe(text);
    expect(text).not.toContain(NO_DESCRIPTION);
    for (const s of RETAIL_SOURCES) {
      expect(text).toContain(`### ${s.name} → bronze.${s.name}`);
      for (const c of s.columns) expect(text).toContain(`| ${c.header} | ${c.type} |`);
    }
    const tables = (
      await t.rt.pool.query(
        `select table_schema || '.' || table_name as name from information_schema.tables
          where table_schema in ('silver', 'gold') and not (format('%I.%I', table_schema, table_name)::regclass in (select oid from pg_class where relispartition))`,
      )
    ).rows;
    expect(tables.length).toBeGreaterThan(15);
    for (const { name } of tables) expect(text).toMatch(new RegExp(`### ${name.replace('.', '\\.')}( \\(view\\))?\\n`));
    expect(text).toMatch(/### gold\.fact_sales\n\nOrder lines joined to their dimensions\.\n\n- grain: one row per order line\n- key: order_number, product_number/);
  });

  it('writes the dictionary and says the database follows the contracts', async () => {
    const out = path.join(t.tmp, 'dictionary.md');
    const r = await runCli(t.env, ['docs', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the database follows the contracts/);
    expect(readFileSync(out, 'utf8')).toContain('# Data dictionary');
  });
});
