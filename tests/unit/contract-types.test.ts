import { describe, expect, expectTypeOf, it } from 'vitest';
import { RETAIL_SOURCES, type BronzeRow } from '../../src/contracts/retail';

// The TypeScript row types come from the contracts: a column added to a contract appears in the
// type; a column that is not in the contract is a type error.
describe('row types derived from the contracts', () => {
  it('give every contract column as nullable text, and the lineage', () => {
    type Location = BronzeRow<'erp_loc_a101'>;
    expectTypeOf<Location['cid']>().toEqualTypeOf<string | null>();
    expectTypeOf<Location['cntry']>().toEqualTypeOf<string | null>();
    expectTypeOf<Location['_line']>().toEqualTypeOf<number>();
    expectTypeOf<keyof BronzeRow<'crm_cust_info'>>().toEqualTypeOf<
      | 'cst_id' | 'cst_key' | 'cst_firstname' | 'cst_lastname' | 'cst_marital_status' | 'cst_gndr' | 'cst_create_date'
      | 'cst_email' | 'cst_phone' | 'cst_address' | 'cst_city' | 'cst_postal_code'
      | '_extra' | '_run_id' | '_file_id' | '_line' | '_ingested_at'
    >();
    // @ts-expect-error — not a column of the locations contract
    const nope: Location['cst_id'] = null;
    expect(nope).toBeNull();
    const loc = RETAIL_SOURCES.find((s) => s.name === 'erp_loc_a101')!;
    expect(loc.columns.map((c) => c.column)).toEqual(['cid', 'cntry']);
  });
});
