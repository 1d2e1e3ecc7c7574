import type pg from 'pg';
import type { Readable, Transform } from 'node:stream';
import { copyIn } from '../db/copy';
import { isRetryable } from '../errors/classify';
import { ByteRange } from './byte-range';
import { bronzeCopySql } from './bronze-copy-sql';
import { bronzeTarget } from './bronze-target';
import { isGzip, openData } from './file-plan';
import { LinePrefixer } from './line-prefixer';
import { copyPrefixedRange } from './prefixed-copy';
import { loadRowByRow, type Reject } from './row-path';
import { loadSql } from '../db/sql-files';
import { WORKER_ID } from '../queue/worker-id';

export interface ChunkRef {
  runId: number;
  fileId: number;
  chunkIndex: number;
}

export interface ChunkFile {
  path: string;
  source: string;
  /** Bronze column per file position; null for an unknown extra column. */
  columns: (string | null)[];
  header: string[];
}

export interface ChunkRange {
  start: number;
  end: number;
  firstLine: number;
  records: number;
  needsRowPath: boolean;
}

export interface ChunkResult {
  skipped: boolean;
  path: 'copy' | 'rows' | 'none';
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** Why the fast path was not used or not kept. */
  fallback?: string;
}

/**
 * Loads one chunk into bronze inside the caller's transaction, together with its ledger row:
 * either all of the chunk (rows, rejects, ledger) commits or none of it does, so a retried or
 * duplicated job never loads a row twice.
 */
export async function loadChunk(client: pg.ClientBase, ref: ChunkRef, file: ChunkFile, range: ChunkRange, maxRecordBytes?: number): Promise<ChunkResult> {
  // Claim the chunk: the row lock makes a concurrent duplicate wait, then find it loaded.
  const claim = await client.query(loadSql('queries/claim_chunk.sql'), [ref.fileId, ref.chunkIndex]);
  if (claim.rowCount === 0) return { skipped: true, path: 'none', rowsRead: 0, rowsLoaded: 0, rowsRejected: 0 };

  const known = file.columns.filter((c): c is string => c !== null);
  // Positions that are no contract column: named ones go to _extra; an unnamed trailing one is dropped.
  const extras = file.columns.flatMap((c, index) => (c === null ? [{ index, name: file.header[index]!.trim() }] : []));
  const copySql = bronzeCopySql(await bronzeTarget(client, file.source, ref.fileId), known, extras.some((e) => e.name !== ''));
  const lineageHead = `${ref.runId},${ref.fileId},`;
  const started = Date.now();
  let result: ChunkResult | null = null;
  let fallback: string | undefined;
  let rejects: Reject[] = [];

  if (range.needsRowPath) fallback = 'the chunk has blank lines, a "\\." line or an unclosed quote';
  else if (extras.length > 0) fallback = `the file has columns outside the contract (${extras.map((e) => e.name || '(unnamed)').join(', ')})`;
  else {
    await client.query('savepoint ml_fast');
    try {
      const prefixer = new LinePrefixer(range.firstLine, lineageHead);
      const loaded = isGzip(file.path)
        ? await copyIn(client, copySql, through(chunkStream(file.path, range), prefixer))
        : await copyPrefixedRange(client, copySql, file.path, range.start, range.end, prefixer);
      if (loaded !== range.records) throw new CountMismatch(`COPY loaded ${loaded} rows, the chunk has ${range.records}`);
      await client.query('release savepoint ml_fast');
      result = { skipped: false, path: 'copy', rowsRead: range.records, rowsLoaded: loaded, rowsRejected: 0 };
    } catch (err) {
      if (isRetryable(err)) throw err;
      await client.query('rollback to savepoint ml_fast');
      fallback = (err as Error).message;
    }
  }

  if (!result) {
    const rows = await loadRowByRow(client, chunkStream(file.path, range), {
      firstLine: range.firstLine,
      width: file.columns.length,
      copySql,
      lineageHead,
      extras: extras.length > 0 ? extras : null,
      ...(maxRecordBytes ? { maxRecordBytes } : {}),
    });
    rejects = rows.rejects;
    result = { skipped: false, path: 'rows', rowsRead: rows.read, rowsLoaded: rows.loaded, rowsRejected: rows.rejects.length };
    if (fallback) result.fallback = fallback;
  }
  if (result.rowsRead !== result.rowsLoaded + result.rowsRejected) {
    throw new Error(`chunk ${ref.fileId}/${ref.chunkIndex}: read ${result.rowsRead} ≠ loaded ${result.rowsLoaded} + rejected ${result.rowsRejected}`);
  }
  if (rejects.length > 0) {
    await client.query(loadSql('queries/insert_bronze_rejects.sql'), [
      ref.runId,
      ref.fileId,
      file.source,
      rejects.map((r) => r.line),
      rejects.map((r) => r.reason),
      rejects.map((r) => r.raw),
    ]);
  }
  await client.query(loadSql('queries/finish_chunk.sql'), [
    ref.fileId,
    ref.chunkIndex,
    ref.runId,
    result.rowsRead,
    result.rowsLoaded,
    result.rowsRejected,
    result.path,
    Date.now() - started,
    result.fallback ?? null,
    WORKER_ID,
  ]);
  return result;
}

class CountMismatch extends Error {}

function chunkStream(path: string, range: ChunkRange): Readable {
  if (!isGzip(path)) return openData(path, range);
  const source = openData(path);
  const slice = new ByteRange(range.start, range.end);
  source.on('error', (err) => slice.destroy(err));
  return source.pipe(slice);
}

/** Pipes a into b so that an error of either reaches whoever reads b. */
function through(a: Readable, b: Transform): Readable {
  a.on('error', (err) => b.destroy(err));
  return a.pipe(b);
}

