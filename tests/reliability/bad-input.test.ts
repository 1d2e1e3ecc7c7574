import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { startRun } from '../../src/pipeline/start-run';
import { buildSummary } from '../../src/pipeline/summary';
import { waitForRunStatus } from '../../src/pipeline/wait-status';
import { QUEUES } from '../../src/queue/names';
import { startWorkers } from '../../workers/start-workers';
import type { RunSummary } from '../../src/pipeline/summary';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The bad-input corpus: each kind of broken export, with the outcome an operator needs — the file
// refused with a message naming the problem, or the bad rows quarantined with line and reason
// while the rest loads. In every case rows read = rows loaded + rows rejected.
const HEADER = 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date';
const row = (id: number, first = 'Ann', date = '2024-01-15'): string => `${id},AW${String(id).padStart(8, '0')},${first},Lee,S,F,${date}`;
const csv = (...lines: string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`);

type Outcome =
  | { refused: RegExp }
  | { loaded: number; rejected?: { line: number; reason: RegExp }[]; silver?: (t: TestEnv, runId: number) => Promise<void> };

interface Case {
  kind: string;
  file?: string;
  content: Buffer | ((dir: string) => void);
  outcome: Outcome;
}

let seq = 0;
const uniqueId = (): number => 1000 + seq++ * 10;

const CASES: Case[] = [
  {
    kind: 'unclosed quote',
    content: csv(HEADER, row(1), '2,AW2,"Bob,Lee,S,F,2024-01-15', row(3), row(4)),
    outcome: { refused: /unclosed quote.*line 3/ },
  },
  {
    kind: 'wrong column count (too few and too many fields)',
    content: csv(HEADER, row(1), '2,AW2,Bob,Lee,S', row(3), `${row(4)},extra,fields`),
    outcome: {
      loaded: 2,
      rejected: [
        { line: 3, reason: /expected 7 fields as in the header, found 5/ },
        { line: 5, reason: /expected 7 fields as in the header, found 9/ },
      ],
    },
  },
  {
    kind: 'missing required column',
    content: csv('cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_create_date', '1,AW1,Ann,Lee,S,2024-01-15'),
    outcome: { refused: /required column cst_gndr missing from the header/ },
  },
  {
    kind: 'duplicated header',
    content: csv(`${HEADER},cst_id`, `${row(1)},1`),
    outcome: { refused: /names column "cst_id" twice/ },
  },
  { kind: 'empty file', content: Buffer.alloc(0), outcome: { refused: /empty/ } },
  { kind: 'header only', content: csv(HEADER), outcome: { loaded: 0 } },
  {
    kind: 'binary garbage',
    content: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
    outcome: { refused: /binary|not a text/ },
  },
  {
    kind: 'invalid UTF-8',
    content: Buffer.concat([csv(HEADER, row(1)), Buffer.from('2,AW2,B\xff\xfeob,Lee,S,F,2024-01-15\n', 'latin1'), csv(row(3))]),
    outcome: { loaded: 2, rejected: [{ line: 3, reason: /not valid UTF-8/ }] },
  },
  {
    kind: 'a 10 MB line',
    content: csv(HEADER, row(1), row(2, 'X'.repeat(10 * 1024 * 1024)), row(3)),
    outcome: { loaded: 2, rejected: [{ line: 3, reason: /longer than/ }] },
  },
  {
    kind: 'NUL bytes',
    content: csv(HEADER, row(1), row(2, 'Bo\u0000b'), row(3)),
    outcome: { loaded: 2, rejected: [{ line: 3, reason: /NUL byte/ }] },
  },
  {
    kind: 'truncated gzip',
    file: 'cust_info.csv.gz',
    content: gzipSync(csv(HEADER, ...Array.from({ length: 2000 }, (_, i) => row(i + 1)))).subarray(0, 3000),
    outcome: { refused: /gzip.*(truncated|unexpected end)|unexpected end of file/i },
  },
  {
    kind: 'wrong delimiter',
    content: Buffer.from(`${HEADER.replaceAll(',', ';')}\n1;AW1;Ann;Lee;S;F;2024-01-15\n`),
    outcome: { refused: /delimiter.*";"/ },
  },
  {
    kind: 'numbers with thousands separators',
    content: csv(HEADER, row(1), '"1,002",AW2,Bob,Lee,S,F,2024-01-15'),
    outcome: {
      loaded: 2,
      silver: async (t, runId) => {
        const q = (await t.rt.pool.query(`select line, rule, reason from quarantine.rejects where run_id = $1 and stage = 'silver'`, [runId])).rows;
        expect(q).toEqual([{ line: 3, rule: 'customers.cst_id_integer', reason: "cst_id '1,002' is not an integer" }]);
      },
    },
  },
  {
    kind: 'dates in other formats',
    content: csv(HEADER, row(9101, 'Ann', '15/01/2024'), row(9102, 'Bob', '"Jan 15, 2024"'), row(9103)),
    outcome: {
      loaded: 3,
      silver: async (t) => {
        const r = (await t.rt.pool.query(`select customer_id, create_date from silver.customers where customer_id between 9101 and 9103 order by 1`)).rows;
        // Not guessed: an ambiguous date is no date (the row stays, its create date is NULL).
        expect(r).toEqual([
          { customer_id: 9101, create_date: null },
          { customer_id: 9102, create_date: null },
          { customer_id: 9103, create_date: '2024-01-15' },
        ]);
      },
    },
  },
  {
    kind: 'control characters',
    content: csv(HEADER, row(1, 'An\u0007n\u001b[31m'), row(2)),
    outcome: { loaded: 2 },
  },
  {
    kind: 'formula-injection strings',
    content: csv(HEADER, row(9201, `"=cmd|' /C calc'!A0"`), row(9202, '+SUM(A1:A9)'), row(9203, '"@HYPERLINK(""x"")"')),
    outcome: {
      loaded: 3,
      silver: async (t) => {
        // Stored verbatim: the warehouse never evaluates values, and exports are JSON, not spreadsheets.
        const r = (await t.rt.pool.query(`select first_name from silver.customers where customer_id between 9201 and 9203 order by customer_id`)).rows;
        expect(r.map((x) => x.first_name)).toEqual(["=cmd|' /C calc'!A0", '+SUM(A1:A9)', '@HYPERLINK("x")']);
      },
    },
  },
  {
    kind: 'Windows-1252 text',
    content: Buffer.concat([csv(HEADER, row(1)), Buffer.from('2,AW2,Jos\xe9,Mu\xf1oz,S,F,2024-01-15\n', 'latin1')]),
    outcome: { loaded: 1, rejected: [{ line: 3, reason: /not valid UTF-8.*Windows-1252/ }] },
  },
  {
    kind: 'trailing delimiter on every line',
    content: csv(`${HEADER},`, `${row(1)},`, `${row(2)},`),
    outcome: { loaded: 2 },
  },
  {
    kind: 'mixed line endings',
    content: Buffer.from(`${HEADER}\r\n${row(1)}\n${row(2)}\r\n${row(3)}\r${row(4)}\n`),
    outcome: { loaded: 2, rejected: [{ line: 4, reason: /a lone carriage return \(\\r\) splits the line: use LF or CRLF/ }] },
  },
  {
    kind: 'blank and whitespace-only lines between rows',
    content: csv(HEADER, row(1), '', '   ', row(2)),
    outcome: { loaded: 2, rejected: [{ line: 4, reason: /expected 7 fields as in the header, found 1/ }] },
  },
];

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv('badinput', { METALAYER_CHUNK_BYTES: String(4 * 1024) });
});
afterAll(async () => t?.cleanup());

async function runCase(c: Case): Promise<RunSummary> {
  const dir = path.join(t.tmp, c.kind.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, c.file ?? 'cust_info.csv');
  if (typeof c.content === 'function') c.content(dir);
  else writeFileSync(file, c.content);
  return runPipeline(t.rt, { inputDir: dir, asOf: '2025-06-30', workers: 2 });
}

describe('bad input', () => {
  it('a file that changes after it was planned (while the run reads it)', async () => {
    const dir = path.join(t.tmp, 'changing');
    mkdirSync(dir);
    const file = path.join(dir, 'cust_info.csv');
    writeFileSync(file, csv(HEADER, row(9401), row(9402)));
    const started = await startRun(t.rt, { inputDir: dir, asOf: '2025-06-30' });
    appendFileSync(file, `${row(9403)}\n`); // the export is rewritten under our feet
    const group = startWorkers(t.rt, { queues: [...QUEUES], concurrency: 1 });
    try {
      expect(await waitForRunStatus(t.rt.pool, started.runId, { timeoutMs: 30_000 })).toBe('finished');
    } finally {
      await group.close();
    }
    const s = (await buildSummary(t.rt.pool, started.runId))!;
    expect(s.status).toBe('failed');
    expect(s.message).toMatch(/cust_info\.csv: the file changed since chunk 0 was planned \(size \d+ → \d+ bytes/);
    // Nothing of the changed file was loaded; the ledger still holds its chunk as pending.
    expect(s.files[0]).toMatchObject({ rowsRead: 0, rowsLoaded: 0, rowsRejected: 0 });
    const bronze = (await t.rt.pool.query(`select count(*)::int as n from bronze.crm_cust_info where cst_id like '94%'`)).rows[0].n;
    expect(bronze).toBe(0);
  });

  for (const c of CASES) {
    it(c.kind, async () => {
      uniqueId();
      const s = await runCase(c);
      const f = s.files[0]!;
      expect(s.files).toHaveLength(1);
      expect(f.rowsRead).toBe(f.rowsLoaded + f.rowsRejected);
      if ('refused' in c.outcome) {
        expect(s.status).toBe('failed');
        expect(f.role).toBe('refused');
        expect(f.error).toMatch(c.outcome.refused);
        expect(s.message).toMatch(c.outcome.refused);
        return;
      }
      expect(s.status, s.message ?? '').toBe('succeeded');
      expect(f.rowsLoaded).toBe(c.outcome.loaded);
      const rejects = (await t.rt.pool.query(`select line, reason from quarantine.rejects where run_id = $1 and stage = 'bronze' order by line`, [s.runId])).rows;
      expect(rejects.length).toBe(f.rowsRejected);
      const expected = c.outcome.rejected ?? [];
      expect(rejects.map((r) => r.line)).toEqual(expected.map((r) => r.line));
      rejects.forEach((r, i) => expect(r.reason).toMatch(expected[i]!.reason));
      await c.outcome.silver?.(t, s.runId);
    });
  }
});
