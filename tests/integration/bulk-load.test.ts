import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The bulk path of migration 011: an empty table's indexes are dropped before a big insert and
// built once after it, inside the step's transaction. What must hold: the same indexes come back,
// a table with rows is left alone, and a failure (a duplicate key) rolls everything back. Also the
// switch of migration 012 between key lookups (small batch) and hashing (big batch).
let t: TestEnv;
const defs = async (): Promise<string[]> =>
  (await t.rt.pool.query(`select indexdef from pg_indexes where schemaname = 'public' and tablename = 'bulk' order by 1`)).rows.map((r) => r.indexdef);

/** Empties public.bulk, then on one connection: begin, suspend its indexes, insert `values`, fn (which ends the transaction). */
async function withSuspendedBulk(values: string, fn: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  await t.rt.pool.query('truncate public.bulk');
  const c = await t.rt.pool.connect();
  try {
    await c.query('begin');
    await c.query(`select meta.suspend_indexes('public.bulk')`);
    await c.query(`insert into public.bulk values ${values}`);
    await fn(c);
  } finally {
    c.release();
  }
}

beforeAll(async () => {
  t = await createTestEnv('bulk_load');
  await t.rt.pool.query(`create table public.bulk (a text, b int, c text, primary key (a, b));
                         create index bulk_c_idx on public.bulk (c) where c is not null;
                         alter table public.bulk add constraint bulk_c_unique unique (c, b)`);
});
afterAll(async () => t?.cleanup());

describe('meta.suspend_indexes / meta.restore_indexes', () => {
  it('drops the indexes of an empty table and builds the same ones again after the insert', async () => {
    const before = await defs();
    expect(before).toHaveLength(3);
    const c = await t.rt.pool.connect();
    try {
      await c.query('begin');
      expect((await c.query(`select meta.suspend_indexes('public.bulk') as n`)).rows[0].n).toBe(3);
      expect((await c.query(`select count(*)::int as n from pg_indexes where tablename = 'bulk'`)).rows[0].n).toBe(0);
      await c.query(`insert into public.bulk select 'k' || g, g, case when g % 2 = 0 then 'c' || g end from generate_series(1, 1000) g`);
      expect((await c.query(`select meta.restore_indexes('public.bulk') as n`)).rows[0].n).toBe(3);
      await c.query('commit');
    } finally {
      c.release();
    }
    expect(await defs()).toEqual(before);
    await expect(t.rt.pool.query(`insert into public.bulk values ('k1', 1, null)`)).rejects.toThrow(/duplicate key/);
  });

  it('leaves a table that has rows alone', async () => {
    expect((await t.rt.pool.query(`select meta.suspend_indexes('public.bulk') as n`)).rows[0].n).toBe(0);
    expect(await defs()).toHaveLength(3);
    expect((await t.rt.pool.query(`select meta.restore_indexes('public.bulk') as n`)).rows[0].n).toBe(0);
  });

  it('a duplicate key in the bulk insert fails at the rebuild and the rollback restores table and indexes', async () => {
    const before = await defs();
    await withSuspendedBulk(`('x', 1, null), ('x', 1, null)`, async (c) => {
      await expect(c.query(`select meta.restore_indexes('public.bulk')`)).rejects.toThrow(/could not create unique index|duplicate/);
      await c.query('rollback');
    });
    expect(await defs()).toEqual(before);
    expect((await t.rt.pool.query('select count(*)::int as n from public.bulk')).rows[0].n).toBe(0);
  });

  it('meta.try_restore_indexes: a duplicate key returns false with the indexes still suspended; restore builds them after the fix', async () => {
    const before = await defs();
    await withSuspendedBulk(`('x', 1, 'c1'), ('x', 1, 'c2'), ('y', 2, null)`, async (c) => {
      expect((await c.query(`select meta.try_restore_indexes('public.bulk') as built`)).rows[0].built).toBe(false);
      // Rolled back alone: no index of the table exists, the rows are still there.
      expect((await c.query(`select count(*)::int as n from pg_indexes where tablename = 'bulk'`)).rows[0].n).toBe(0);
      expect((await c.query(`select count(*)::int as n from public.bulk`)).rows[0].n).toBe(3);
      await c.query(`delete from public.bulk where c = 'c1'`);
      expect((await c.query(`select meta.restore_indexes('public.bulk') as n`)).rows[0].n).toBe(3);
      // Nothing left suspended: a second try builds nothing and succeeds.
      expect((await c.query(`select meta.try_restore_indexes('public.bulk') as built`)).rows[0].built).toBe(true);
      await c.query('commit');
    });
    expect(await defs()).toEqual(before);
  });
});

describe('meta.use_key_lookups', () => {
  it('turns key lookups on for a batch under 5 % of its target, and back off (with the server page price) for a big one', async () => {
    await t.rt.pool.query(`insert into public.bulk select 'r' || g, g, null from generate_series(1, 2000) g; analyze public.bulk`);
    const c = await t.rt.pool.connect();
    try {
      await c.query('begin');
      const state = async (n: number) =>
        (await c.query(`select meta.use_key_lookups($1, 'public.bulk') as small, current_setting('enable_nestloop') as nestloop, current_setting('random_page_cost') as page`, [n])).rows[0];
      const serverPage = (await c.query(`select reset_val from pg_settings where name = 'random_page_cost'`)).rows[0].reset_val;
      expect(await state(10)).toEqual({ small: true, nestloop: 'on', page: '1.1' });
      expect(await state(1000)).toEqual({ small: false, nestloop: 'off', page: serverPage });
      await c.query('rollback');
    } finally {
      c.release();
    }
  });
});

describe('meta.analyze_if_stale', () => {
  it('analyses a table never analysed, then only once a tenth of it changed (this transaction included) or its storage was replaced', async () => {
    // Two sessions: one writes (and flushes its statistics at commit), the other asks.
    const writer = await t.rt.pool.connect();
    const asker = await t.rt.pool.connect();
    const write = async (sql: string) => {
      await writer.query('begin');
      await writer.query(sql);
      await writer.query('select pg_stat_force_next_flush()');
      await writer.query('commit');
    };
    const ask = async () => {
      await asker.query('select pg_stat_clear_snapshot()');
      return (await asker.query(`select meta.analyze_if_stale('public.stale', 'a') as analysed, (select reltuples from pg_class where oid = 'public.stale'::regclass) as tuples`)).rows[0];
    };
    try {
      await write('create table public.stale (a int, b int); insert into public.stale select g, g from generate_series(1, 1000) g');
      expect(await ask()).toEqual({ analysed: true, tuples: 1000 });
      expect(await ask()).toEqual({ analysed: false, tuples: 1000 });
      await write('insert into public.stale select g, g from generate_series(1001, 1050) g'); // 5 %
      expect(await ask()).toEqual({ analysed: false, tuples: 1000 });
      await write('update public.stale set b = 0 where a <= 60'); // 11 % in all
      expect(await ask()).toEqual({ analysed: true, tuples: 1050 });
      // The asking transaction's own rows count before they are committed.
      await asker.query('begin');
      await asker.query('insert into public.stale select g, g from generate_series(2001, 2200) g');
      expect(await ask()).toEqual({ analysed: true, tuples: 1250 });
      await asker.query('rollback');
      // A table emptied in the transaction (a first load) is analysed whatever its history.
      await asker.query('begin');
      await asker.query('truncate public.stale');
      await asker.query('insert into public.stale values (1, 1)');
      expect(await ask()).toEqual({ analysed: true, tuples: 1 });
      await asker.query('rollback');
      // Emptied and reloaded after a statistics reset, to about the recorded count (1,110
      // changes), with the index build setting reltuples first, as a first load's does: the
      // new storage says so where the counters cannot (migration 022).
      await asker.query('select pg_stat_force_next_flush()');
      await write(`select pg_stat_reset_single_table_counters('public.stale'::regclass)`);
      await asker.query('begin');
      await asker.query('truncate public.stale');
      await asker.query('insert into public.stale select g, g from generate_series(1, 1150) g');
      await asker.query('create index on public.stale (a)');
      expect(await ask()).toEqual({ analysed: true, tuples: 1150 });
      await asker.query('rollback');
    } finally {
      writer.release();
      asker.release();
      await t.rt.pool.query('drop table if exists public.stale');
    }
  });
});

describe('meta.summarize_new_ranges (migration 027)', () => {
  it('summarises the pages a transaction appended, its own rows included, so that a later scan by run skips them', async () => {
    const c = await t.rt.pool.connect();
    // One wide row per page and one page per range: each run's rows land on pages of their own,
    // past the ranges the index build summarised.
    const scan = async (run: number) => {
      await c.query('set local enable_seqscan = off');
      const plan = (await c.query(`explain (analyze, costs off, timing off, summary off) select count(*) from public.runs_brin where run = $1`, [run])).rows.map((r) => r['QUERY PLAN']).join('\n');
      const rows = (await c.query(`select count(*)::int as n from public.runs_brin where run = $1`, [run])).rows[0].n;
      return { rows, pagesRead: Number(/Heap Blocks: lossy=(\d+)/.exec(plan)?.[1] ?? 0) };
    };
    try {
      await c.query(`create table public.runs_brin (run bigint not null, pad text) with (fillfactor = 10);
                     insert into public.runs_brin select 1, repeat('x', 500) from generate_series(1, 200);
                     create index runs_brin_idx on public.runs_brin using brin (run int8_minmax_multi_ops) with (pages_per_range = 1)`);
      // Run 2 writes 50 rows and summarises them before its commit.
      await c.query('begin');
      await c.query(`insert into public.runs_brin select 2, repeat('y', 500) from generate_series(1, 50)`);
      expect(Number((await c.query(`select meta.summarize_new_ranges('public.runs_brin') as n`)).rows[0].n)).toBe(50);
      expect(Number((await c.query(`select meta.summarize_new_ranges('public.runs_brin') as n`)).rows[0].n)).toBe(0);
      expect(await scan(2)).toEqual({ rows: 50, pagesRead: 50 });
      await c.query('commit');
      // Run 3 writes 30 rows: unsummarised, they are read by a scan for any run; summarised, only for theirs.
      await c.query('begin');
      await c.query(`insert into public.runs_brin select 3, repeat('z', 500) from generate_series(1, 30)`);
      expect(await scan(2)).toEqual({ rows: 50, pagesRead: 80 });
      expect(Number((await c.query(`select meta.summarize_new_ranges('public.runs_brin') as n`)).rows[0].n)).toBe(30);
      expect(await scan(2)).toEqual({ rows: 50, pagesRead: 50 });
      expect(await scan(3)).toEqual({ rows: 30, pagesRead: 30 });
      expect(await scan(1)).toEqual({ rows: 200, pagesRead: 200 });
      await c.query('commit');
    } finally {
      await c.query('rollback').catch(() => undefined);
      await c.query('drop table if exists public.runs_brin');
      c.release();
    }
  });
});
