import { ParserOptions } from '@fast-csv/parse';
// fast-csv's synchronous record parser; its stream wrapper gives neither raw text nor line
// numbers, which rejects need, so records are cut by RecordScanner and parsed here one by one.
import { Parser } from '@fast-csv/parse/build/src/parser/Parser.js';

const parser = new Parser(new ParserOptions({ ignoreEmpty: false, trim: false }));

/**
 * Splits one CSV record (without its line ending) into fields. Throws fast-csv's error for broken
 * quoting. An empty record gives [''].
 */
export function parseRecord(text: string): string[] {
  if (text === '') return [''];
  const { rows, line } = parser.parse(text, false);
  // fast-csv drops a whitespace-only record; it is one field.
  if (rows.length === 0 && text.trim() === '') return [text];
  if (rows.length !== 1 || line !== '') {
    throw new Error(rows.length === 0 ? 'unterminated quoted field' : 'the record holds more than one row');
  }
  return rows[0] as string[];
}

/** Strips a UTF-8 byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Removes one trailing LF or CRLF. */
export function stripLineEnd(buf: Buffer): Buffer {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  return end === buf.length ? buf : buf.subarray(0, end);
}
