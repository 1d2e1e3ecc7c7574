import { describe, expect, expectTypeOf, it } from 'vitest';
import { RETAIL_SOURCES, type BronzeRow } from '../../src/contracts/retail';
import { tallyOfFlags } from '../../src/quality/contract-types';

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

describe('tallyOfFlags', () => {
  it('counts, per bit, the lines of every flags value that has it set', () => {
    // bits 0 and 3; bit 14 alone; none; the top bit (a negative int4 from the database).
    const tally = tallyOfFlags([
      { flags: 0b1001, lines: '3' },
      { flags: 1 << 14, lines: '2' },
      { flags: 0, lines: '10' },
      { flags: -2147483648, lines: 1 },
    ]);
    expect(tally.rows).toBe(16);
    const expected = new Array<number>(32).fill(0);
    expected[0] = 3;
    expected[3] = 3;
    expected[14] = 2;
    expected[31] = 1;
    expect(tally.bits).toEqual(expected);
  });
});
