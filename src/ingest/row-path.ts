import type pg from 'pg';
import type { Readable } from 'node:stream';
import { copyIn } from '../db/copy';
import { isRetryable } from '../errors/classify';
import { stripLineEnd } from './csv-fields';
import { checkRecord, rowSchema } from './record-check';
import { readRecords } from './record-reader';
import { RecordKind } from './record-scanner';

export interface Reject {
  line: number;
  reason: string;
  raw: Buffer;
}

export interface RowPathResult {
  read: number;
  loaded: number;
  rejects: Reject[];
}

export interface GoodRow {
  line: number;
  /** The row as one CSV line, lineage first, LF-terminated. */
  csv: Buffer;
  raw: Buffer;
}

const BATCH_ROWS = 5_000;
const BATCH_BYTES = 4 << 20;

/**
 * The row-by-row path: every record is checked structurally; good ones go to COPY in batches
 * (each in a savepoint), bad ones become rejects with line and reason. When PostgreSQL still
 * refuses a batch, it is halved until the refused record is isolated, so one bad row never
 * costs its neighbours.
 */
export async function loadRowByRow(
  client: pg.ClientBase,
  data: Readable,
  opts: {
    firstLine: number;
    width: number;
    copySql: string;
    /** `run,file,` written before each record's line number (see bronzeCopySql). */
    lineageHead: string;
    /** File positions that are not contract columns: kept in `_extra` by name, or dropped when unnamed. */
    extras: { index: number; name: string }[] | null;
    maxRecordBytes?: number;
  },
): Promise<RowPathResult> {
  const schema = rowSchema(opts.width);
  const rejects: Reject[] = [];
  let batch: GoodRow[] = [];
  let batchBytes = 0;
  let read = 0;
  let loaded = 0;
  const flush = async (): Promise<void> => {
    loaded += await copyIsolating(client, opts.copySql, batch, rejects);
    batch = [];
    batchBytes = 0;
  };
  for await (const rec of readRecords(data, opts.firstLine)) {
    if (rec.kind === RecordKind.Blank) continue;
    read++;
    const verdict = checkRecord(rec, schema, opts.width, opts.maxRecordBytes);
    if (!verdict.ok) {
      rejects.push({ line: rec.line, reason: verdict.reason, raw: stripLineEnd(rec.bytes) });
      continue;
    }
    const body = stripLineEnd(rec.bytes);
    // Re-serialised when COPY would read the raw bytes differently (a stray quote, extra columns).
    const csv =
      opts.extras || rec.badQuotes
        ? serialize(`${opts.lineageHead}${rec.line}`, verdict.fields, opts.extras ?? [])
        : Buffer.concat([Buffer.from(`${opts.lineageHead}${rec.line},`), body, NL]);
    batch.push({ line: rec.line, csv, raw: body });
    batchBytes += csv.length;
    if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
  }
  if (batch.length > 0) await flush();
  return { read, loaded, rejects };
}

const NL = Buffer.from('\n');

export async function copyIsolating(client: pg.ClientBase, copySql: string, rows: GoodRow[], rejects: Reject[]): Promise<number> {
  if (rows.length === 0) return 0;
  await client.query('savepoint ml_rows');
  try {
    const n = await copyIn(client, copySql, rows.map((r) => r.csv));
    await client.query('release savepoint ml_rows');
    return n;
  } catch (err) {
    if (isRetryable(err)) throw err;
    await client.query('rollback to savepoint ml_rows');
    await client.query('release savepoint ml_rows');
    if (rows.length === 1) {
      const row = rows[0]!;
      rejects.push({ line: row.line, reason: `refused by PostgreSQL: ${(err as Error).message}`, raw: row.raw });
      return 0;
    }
    const mid = rows.length >> 1;
    return (await copyIsolating(client, copySql, rows.slice(0, mid), rejects)) + (await copyIsolating(client, copySql, rows.slice(mid), rejects));
  }
}

/**
 * Re-serialises a parsed row: known fields quoted, then `_extra` as JSON when the file has named
 * unknown columns. An unnamed column (a trailing delimiter on every line) is dropped.
 */
export function serialize(lineage: string, fields: string[], extras: { index: number; name: string }[]): Buffer {
  const extraIdx = new Set(extras.map((e) => e.index));
  const out: string[] = [lineage];
  fields.forEach((f, i) => {
    if (!extraIdx.has(i)) out.push(quote(f));
  });
  const named = extras.filter((e) => e.name !== '');
  if (named.length > 0) {
    const extra: Record<string, string | null> = {};
    for (const e of named) extra[e.name] = fields[e.index] === '' ? null : fields[e.index]!;
    out.push(quote(JSON.stringify(extra)));
  }
  return Buffer.from(out.join(',') + '\n');
}

function quote(v: string): string {
  return v === '' ? '' : `"${v.replace(/"/g, '""')}"`;
}
