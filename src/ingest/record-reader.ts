import type { Readable } from 'node:stream';
import { RecordKind, RecordScanner } from './record-scanner';

export interface RawRecord {
  /** Physical line where the record starts. */
  line: number;
  /** The record's bytes, line ending included. */
  bytes: Buffer;
  kind: RecordKind;
  /** The data ended inside a quoted field that this record opened. */
  unclosedQuote: boolean;
  /** Quotes RFC 4180 does not allow (see RecordScanner). */
  badQuotes: boolean;
}

/**
 * Cuts a byte stream into whole records with their line numbers: the row-by-row fallback's view
 * of a chunk. Uses the same RecordScanner as the chunker, so boundaries always agree.
 */
export async function* readRecords(data: Readable, firstLine: number): AsyncGenerator<RawRecord> {
  const scanner = new RecordScanner();
  let line = firstLine;
  let pending: Buffer[] = [];
  const ready: RawRecord[] = [];
  for await (const buf of data as AsyncIterable<Buffer>) {
    let from = 0;
    scanner.scan(buf, (end, lines, kind, badQuotes) => {
      const piece = buf.subarray(from, end);
      const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      ready.push({ line, bytes, kind, unclosedQuote: false, badQuotes });
      line += lines;
      from = end;
    });
    if (from < buf.length) pending.push(buf.subarray(from));
    for (const r of ready) yield r;
    ready.length = 0;
  }
  const last = scanner.finish();
  if (last) {
    yield { line, bytes: Buffer.concat(pending), kind: RecordKind.Data, unclosedQuote: last.unclosedQuote, badQuotes: last.badQuotes };
  }
}
