import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
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
export function checkRecord(rec: RawRecord, schema: ReturnType<typeof rowSchema>, width: number): Verdict {
  if (rec.kind === RecordKind.CopyEndMarker) {
    return { ok: false, reason: 'the line holds only "\\." (PostgreSQL\'s end-of-data marker), not a row' };
  }
  const body = stripLineEnd(rec.bytes);
  if (body.indexOf(0) >= 0) return { ok: false, reason: 'the record contains a NUL byte' };
  if (!isUtf8(body)) return { ok: false, reason: 'the record is not valid UTF-8 (export the file as UTF-8)' };
  if (rec.unclosedQuote) return { ok: false, reason: 'a quoted field is never closed (unterminated quote until the end of the data)' };
  let fields: string[];
  try {
    fields = parseRecord(body.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `broken quoting: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: `expected ${width} fields as in the header, found ${fields.length}` };
  return { ok: true, fields: parsed.data };
}
