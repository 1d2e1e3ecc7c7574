import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { DEFAULTS } from '../config/defaults';
import { parseRecord, stripLineEnd } from './csv-fields';
import { RecordKind } from './record-scanner';
import type { RawRecord } from './record-reader';

export type Verdict = { ok: true; fields: string[] } | { ok: false; reason: string };

/** The structural contract of a row: exactly as many fields as the header, each a string. */
export function rowSchema(width: number) {
  return z.array(z.string()).length(width, { message: `expected ${width} fields` });
}

/**
 * Structural checks of one record on the row-by-row path, in the order an operator would fix
 * them. Values are not typed here: bronze keeps raw text and silver applies the typed rules.
 */
export function checkRecord(rec: RawRecord, schema: ReturnType<typeof rowSchema>, width: number, maxRecordBytes = DEFAULTS.maxRecordBytes): Verdict {
  if (rec.kind === RecordKind.CopyEndMarker) {
    return { ok: false, reason: 'the line holds only "\\." (PostgreSQL\'s end-of-data marker), not a row' };
  }
  const body = stripLineEnd(rec.bytes);
  if (body.length > maxRecordBytes) {
    return { ok: false, reason: `the record is ${body.length} bytes long, longer than the limit of ${maxRecordBytes} (METALAYER_MAX_RECORD_BYTES)` };
  }
  if (body.indexOf(0) >= 0) return { ok: false, reason: 'the record contains a NUL byte' };
  if (!isUtf8(body)) return { ok: false, reason: `the record is not valid UTF-8 ${encodingHint(body)}; export the file as UTF-8` };
  if (rec.unclosedQuote) return { ok: false, reason: 'a quoted field is never closed (unterminated quote until the end of the data)' };
  let fields: string[];
  try {
    fields = parseRecord(body.toString('utf8'));
  } catch (err) {
    if (body.includes(0x0d)) return { ok: false, reason: 'a lone carriage return (\\r) splits the line: use LF or CRLF line endings' };
    return { ok: false, reason: `broken quoting: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: `expected ${width} fields as in the header, found ${fields.length}` };
  return { ok: true, fields: parsed.data };
}

/**
 * Names the first byte that breaks UTF-8. Bytes 0x80–0xFF standing alone are what Windows-1252
 * (or Latin-1) exports look like: é is 0xE9 there, two bytes in UTF-8.
 */
function encodingHint(body: Buffer): string {
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b < 0x80) continue;
    const need = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b <= 0xdf ? 1 : -1;
    let ok = need > 0 && i + need < body.length + 1;
    for (let k = 1; ok && k <= need; k++) ok = (body[i + k]! & 0xc0) === 0x80;
    if (!ok) return `(byte 0x${b.toString(16).toUpperCase()} at offset ${i}: probably Windows-1252 or Latin-1 text)`;
    i += need;
  }
  return '';
}
