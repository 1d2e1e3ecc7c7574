import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The cleaning functions are the silver rules' parsers: a rewrite for speed must give every value
// what the rule gave before. meta.try_int8 as migration 002 wrote it is the reference for
// migration 034's byte-wise test of the common case.
let t: TestEnv;
/** One connection of its own, so that the pg_temp reference function is there for every query. */
let c: pg.Client;

const REFERENCE_TRY_INT8 = `
  create function pg_temp.try_int8_002(v text) returns bigint language sql immutable
    as $$ select case when length(v) between 1 and 18 and ltrim(v, '0123456789') = '' then v::bigint
                      when meta.is_int_text(btrim(v)) then btrim(v)::bigint end $$`;

// Values a CRM export holds, and the ones a byte-wise test could get wrong: signs, spaces around,
// 18/19/20 digits, a backslash (special to decode) anywhere, escapes that decode would turn into
// digits, multibyte digits and letters, control characters, empty and NULL.
const EDGES: (string | null)[] = [
  null, '', ' ', '0', '7', '0012', '12', ' 12 ', '\t12\n', '+2', '-5', '+', '-', '--5', '+-5', '1-2', '1 2', '1.0', '1e3', '0x1F',
  '123456789012345678', '999999999999999999', '1234567890123456789', '9223372036854775807', '9223372036854775808',
  '-9223372036854775808', '12345678901234567890', ' 123456789012345678 ', '+123456789012345678',
  '\\', '1\\', '\\1', '\\061', '\\\\', '12\\0613', '\\x31', 'abc', 'x1', '1x', '１２', '٣', '12é', 'é12', '€', '1\u00a0', '\u00a01',
  '\u000b12', '12\r', '00000000000000000000', '000000000000000001',
];

const compare = async (values: (string | null)[]) =>
  (
    await c.query<{ v: string | null; now: string | null; before: string | null }>(
      `select v, meta.try_int8(v)::text as now, pg_temp.try_int8_002(v)::text as before
         from unnest($1::text[]) as v where meta.try_int8(v) is distinct from pg_temp.try_int8_002(v)`,
      [values],
    )
  ).rows;

beforeAll(async () => {
  t = await createTestEnv('cleaning_functions');
  c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  await c.query(REFERENCE_TRY_INT8);
});
afterAll(async () => {
  await c?.end();
  await t?.cleanup();
});

describe('meta.try_int8 (migration 034)', () => {
  it('gives every edge case what migration 002 gave', async () => {
    expect(await compare(EDGES)).toEqual([]);
    const { rows } = await c.query(`select meta.try_int8(v)::text as n from unnest($1::text[]) with ordinality as x(v, i) order by i`, [
      [' 12 ', '+2', '-5', '0012', '123456789012345678', '1234567890123456789', '12\\0613', '１２', 'abc', '', null],
    ]);
    expect(rows.map((r) => r.n)).toEqual(['12', '2', '-5', '12', '123456789012345678', null, null, null, null, null, null]);
  });

  it('gives random text what migration 002 gave', async () => {
    // 20,000 values of 0-21 characters from an alphabet of digits and what surrounds them.
    const alphabet = ['0', '1', '5', '9', '9', '0', ' ', '\t', '+', '-', '\\', 'x', '.', 'é', '１', '\n'];
    let seed = 42;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    const values = Array.from({ length: 20_000 }, () => {
      const n = next() % 22;
      // Mostly digits, as the files hold: three in four characters from the first six.
      return Array.from({ length: n }, () => alphabet[next() % 4 === 0 ? next() % alphabet.length : next() % 6]).join('');
    });
    const parsed = (await c.query(`select count(meta.try_int8(v))::int as n from unnest($1::text[]) as v`, [values])).rows[0].n;
    expect(parsed).toBeGreaterThan(2_000); // the fast path is exercised, not only the fallback
    expect(await compare(values)).toEqual([]);
  });

  it('is still inlined into the statements that call it', async () => {
    const { rows } = await c.query(`explain (verbose, format json) select meta.try_int8(v) from unnest(array['1', 'x']) as v`);
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    expect(plan).not.toMatch(/try_int8/);
    expect(plan).toMatch(/octet_length/);
  });
});
