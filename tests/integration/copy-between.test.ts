import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBetween } from '../../src/db/copy';
import { FlagStripper } from '../../src/db/copy-flags';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('copybetween');
  await t.rt.pool.query(`create table relay_in as
    select i, repeat(chr(65 + i % 26), i % 97) as s, case when i % 11 = 0 then null else i * 3 end as n, (i % 5) as flags
      from generate_series(1, 300000) i`);
});
afterAll(async () => t?.cleanup());

const digest = `select count(*)::int as rows, md5(string_agg(i || '|' || s || '|' || coalesce(n::text, '-'), ',' order by i)) as md5`;

describe('copyBetween: one connection\'s COPY out into another\'s COPY in, gathered into writes of about 1 MiB', () => {
  it('relays about 10 MB (many 1 MiB writes) without losing or changing a byte', async () => {
    const reader = await t.rt.pool.connect();
    const writer = await t.rt.pool.connect();
    try {
      await writer.query('create table relay_out (i int, s text, n int)');
      const rows = await copyBetween(reader, 'copy (select i, s, n from relay_in) to stdout (format binary)', writer, 'copy relay_out from stdin (format binary)');
      expect(rows).toBe(300_000);
      // Again through a transform that drops each row's last field (the silver stream's FlagStripper).
      await writer.query('truncate relay_out');
      const flags = new FlagStripper();
      const again = await copyBetween(reader, 'copy (select i, s, n, flags from relay_in) to stdout (format binary)', writer, 'copy relay_out from stdin (format binary)', flags);
      expect(again).toBe(300_000);
      expect(flags.tally.bits.slice(0, 3)).toEqual([120_000, 120_000, 60_000]); // i % 5: 1 and 3 set bit 0, 2 and 3 bit 1, 4 bit 2
      const [src, dst] = await Promise.all([
        t.rt.pool.query(`${digest} from relay_in`),
        t.rt.pool.query(`${digest} from relay_out`),
      ]);
      expect(dst.rows[0]).toEqual(src.rows[0]);
    } finally {
      reader.release();
      writer.release();
    }
  });

  it('fails with the writer\'s error when the target refuses a row mid-way, and the writer can roll back and go on', async () => {
    const reader = await t.rt.pool.connect();
    const writer = await t.rt.pool.connect();
    try {
      await writer.query('create table relay_checked (i int check (i <> 250000), s text, n int)');
      await writer.query('begin');
      await expect(
        copyBetween(reader, 'copy (select i, s, n from relay_in) to stdout (format binary)', writer, 'copy relay_checked from stdin (format binary)'),
      ).rejects.toThrow(/relay_checked_i_check/);
      await writer.query('rollback');
      expect((await writer.query('select count(*)::int as n from relay_checked')).rows[0].n).toBe(0);
    } finally {
      reader.release(true); // mid-COPY: closed, not pooled (as streamIntoEmptyTable does)
      writer.release();
    }
  });
});
