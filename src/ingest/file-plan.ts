import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../config/defaults';
import { ContractError } from '../errors/contract-error';
import { parseRecord, stripBom, stripLineEnd } from './csv-fields';
import { assertUnchanged, fileVersion } from './file-stability';
import { RecordKind, RecordScanner } from './record-scanner';

/** One chunk of a file: a byte range of its (decompressed) data that starts and ends on record boundaries. */
export interface ChunkPlan {
  index: number;
  start: number;
  end: number;
  /** Physical line (1 = header) where the chunk's first record starts. */
  firstLine: number;
  /** Data records (rows) in the range; blank lines are not rows. */
  records: number;
  blankLines: number;
  /**
   * The chunk needs the row-by-row path: blank lines, a `\.` line or quoting that RFC 4180 does
   * not allow would make PostgreSQL's COPY fail, stop early or join lines.
   */
  needsRowPath: boolean;
}

export interface FilePlan {
  sha256: string;
  /** Bytes on disk. */
  size: number;
  /** The file's mtime when it was planned (ms since the epoch). */
  modifiedMs: number;
  compressed: boolean;
  header: string[];
  chunks: ChunkPlan[];
  records: number;
}

export function isGzip(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** The file's data as a stream: decompressed for .gz. */
export function openData(path: string, range?: { start: number; end: number }): Readable {
  if (isGzip(path)) return createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip());
  if (range && range.end <= range.start) return createReadStream(path, { start: 1, end: 0 });
  return createReadStream(path, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
}

/**
 * Reads a file once: fingerprints it (sha256 of the bytes on disk), parses its header and cuts
 * its data into chunks of about `chunkBytes` at record boundaries, quoted newlines respected.
 * A .gz file is one chunk: its data cannot be entered in the middle.
 */
export async function planFile(path: string, chunkBytes: number, maxRecordBytes = DEFAULTS.maxRecordBytes): Promise<FilePlan> {
  const version = await fileVersion(path);
  const hash = createHash('sha256');
  let size = 0;
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  raw.on('data', (b: string | Buffer) => {
    if (typeof b === 'string') return;
    hash.update(b);
    size += b.length;
  });
  const compressed = isGzip(path);
  const data: Readable = compressed ? raw.pipe(createGunzip()) : raw;
  if (compressed) raw.on('error', (e) => data.destroy(e));

  const scanner = new RecordScanner();
  const headerParts: Buffer[] = [];
  let header: string[] | null = null;
  let offset = 0; // data bytes before the current buffer
  let line = 1; // line where the next record starts
  const chunks: ChunkPlan[] = [];
  let current: ChunkPlan | null = null;
  let lastDataEnd = 0;
  let trailingBlanks = 0;
  let recordStart = 0; // data offset where the current record starts
  const limit = compressed ? Number.POSITIVE_INFINITY : chunkBytes;

  const onRecordEnd = (globalEnd: number, lines: number, kind: RecordKind, badQuotes: boolean): void => {
    if (header === null) {
      header = parseHeader(Buffer.concat(headerParts).subarray(0, globalEnd), path);
      headerParts.length = 0;
      recordStart = globalEnd;
      line += lines;
      current = newChunk(0, globalEnd, line);
      return;
    }
    const chunk = current!;
    // An oversized record goes down the row path, which quarantines it (see record-check.ts).
    if (globalEnd - recordStart > maxRecordBytes) chunk.needsRowPath = true;
    recordStart = globalEnd;
    if (kind === RecordKind.Blank) {
      chunk.blankLines++;
      trailingBlanks++;
    } else {
      chunk.records++;
      trailingBlanks = 0;
      lastDataEnd = globalEnd;
      if (kind === RecordKind.CopyEndMarker || badQuotes) chunk.needsRowPath = true;
    }
    line += lines;
    chunk.end = globalEnd;
    if (globalEnd - chunk.start >= limit) {
      chunks.push(chunk);
      current = newChunk(chunk.index + 1, globalEnd, line);
    }
  };

  try {
    for await (const buf of data as AsyncIterable<Buffer>) {
      if (header === null) headerParts.push(buf);
      const base = offset;
      scanner.scan(buf, (end, lines, kind, bad) => onRecordEnd(base + end, lines, kind, bad));
      offset += buf.length;
    }
  } catch (err) {
    if (err instanceof ContractError) throw err;
    throw new ContractError(`${path}: cannot read the file: ${(err as Error).message}`, { cause: err });
  }
  const last = scanner.finish();
  if (header === null) {
    if (offset === 0) throw new ContractError(`${path}: the file is empty (not even a header)`);
    header = parseHeader(Buffer.concat(headerParts), path);
    if (last?.unclosedQuote) throw new ContractError(`${path}: the header has an unclosed quote`);
    await assertUnchanged(path, version, 'while it was being planned');
    return { sha256: hash.digest('hex'), size, modifiedMs: version.modifiedMs, compressed, header, chunks: [], records: 0 };
  }
  const tailChunk = current as ChunkPlan | null;
  if (last?.unclosedQuote) {
    // Where the record was meant to end is unknowable: loading "the rest" would load garbage.
    throw new ContractError(
      `${path}: unclosed quote: the quoted field of the record on line ${line} is never closed (it runs to the end of the file); the whole file was refused — fix the export and send it again`,
    );
  }
  if (last && tailChunk) {
    // The last record has no final newline.
    if (offset - recordStart > maxRecordBytes) tailChunk.needsRowPath = true;
    tailChunk.records++;
    tailChunk.end = offset;
    lastDataEnd = offset;
    trailingBlanks = 0;
    if (last.badQuotes) tailChunk.needsRowPath = true;
  }
  if (tailChunk && tailChunk.end > tailChunk.start) chunks.push(tailChunk);
  // Blank lines at the very end are not rows and not part of any chunk.
  const lastChunk = chunks.at(-1);
  if (lastChunk && trailingBlanks > 0) {
    lastChunk.end = lastDataEnd;
    lastChunk.blankLines -= trailingBlanks;
    if (lastChunk.end <= lastChunk.start) chunks.pop();
  }
  for (const c of chunks) if (c.blankLines > 0) c.needsRowPath = true;
  const records = chunks.reduce((sum, c) => sum + c.records, 0);
  await assertUnchanged(path, version, 'while it was being planned');
  return { sha256: hash.digest('hex'), size, modifiedMs: version.modifiedMs, compressed, header, chunks, records };
}

function newChunk(index: number, start: number, firstLine: number): ChunkPlan {
  return { index, start, end: start, firstLine, records: 0, blankLines: 0, needsRowPath: false };
}

function parseHeader(bytes: Buffer, path: string): string[] {
  const text = stripBom(stripLineEnd(bytes).toString('utf8'));
  if (text.trim() === '') throw new ContractError(`${path}: the first line is empty; expected a header`);
  try {
    return parseRecord(text);
  } catch (err) {
    throw new ContractError(`${path}: cannot parse the header: ${(err as Error).message}`);
  }
}
