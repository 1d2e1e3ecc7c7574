import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Root of the sql/ folder, found relative to this file so that it works from any cwd. */
export const SQL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');

const cache = new Map<string, string>();

/** The text of sql/<relPath>, read once per process. */
export function loadSql(relPath: string): string {
  let text = cache.get(relPath);
  if (text === undefined) {
    text = readFileSync(path.join(SQL_ROOT, relPath), 'utf8');
    cache.set(relPath, text);
  }
  return text;
}
