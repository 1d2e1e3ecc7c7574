import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyOutStream } from '../../src/db/copy-out';

// Read-only queries on the server's `postgres` database; the one function is in the session's
// own temporary schema, gone with the connection.
const URL = `${process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432'}/postgres`;
let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: URL });
  await client.connect();
  await client.query(`create function pg_temp.noisy(i int) returns int language plpgsql as $$
    begin if i % 10000 = 0 then raise notice 'row %', i; end if; return i; end $$`);
});
afterAll(async () => client?.end());

async function collect(stream: NodeJS.ReadableStream & { rowCount?: number }): Promise<{ bytes: Buffer; rows: number | undefined }> {
  const parts: Buffer[] = [];
  await pipeline(stream, new Writable({ write(b: Buffer, _e, cb) { parts.push(Buffer.from(b)); cb(); } }));
  return { bytes: Buffer.concat(parts), rows: stream.rowCount };
}

describe('CopyOutStream: COPY … TO STDOUT without an allocation per row', () => {
  const queries = {
    'binary rows of every width, split anyhow across socket reads': `copy (select i, repeat('x', i % 300), case when i % 7 = 0 then null else i * 1.5 end from generate_series(1, 200000) i) to stdout (format binary)`,
    'text rows': `copy (select i, md5(i::text) from generate_series(1, 50000) i) to stdout`,
    'notices between the rows': `copy (select pg_temp.noisy(i), repeat('y', 20) from generate_series(1, 50000) i) to stdout (format binary)`,
    'no rows, binary': `copy (select 1 where false) to stdout (format binary)`,
    'no rows, text': `copy (select 1 where false) to stdout`,
  };
  for (const [what, sql] of Object.entries(queries)) {
    it(`gives the bytes and row count pg-copy-streams gives: ${what}`, async () => {
      const notices: string[] = [];
      const onNotice = (n: { message?: string }) => notices.push(n.message ?? '');
      client.on('notice', onNotice);
      const lean = await collect(client.query(new CopyOutStream(sql)));
      const leanNotices = notices.length;
      const lib = await collect(client.query(copyTo(sql)));
      client.off('notice', onNotice);
      expect(lean.bytes.equals(lib.bytes)).toBe(true);
      expect(lean.rows).toBe(lib.rows);
      expect(leanNotices).toBe(notices.length - leanNotices); // notices mid-copy: skipped by both, as the library does
      expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]); // the connection is pg's again
    });
  }

  it('fails with the server\'s error when the query fails mid-copy, and the connection stays usable', async () => {
    const sql = `copy (select i, 1000 / (i - 150000) from generate_series(1, 200000) i) to stdout (format binary)`;
    const stream = client.query(new CopyOutStream(sql));
    let received = 0;
    stream.on('data', (b: Buffer) => (received += b.length));
    await expect(collect(stream)).rejects.toThrow(/division by zero/);
    expect(received).toBeGreaterThan(1_000_000); // rows came before the error
    expect((await client.query('select 2 as ok')).rows).toEqual([{ ok: 2 }]);
  });
});
