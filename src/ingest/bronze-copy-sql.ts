import { qualified, quoteIdent } from '../db/ident';

/**
 * The COPY statement of one file into bronze: `_line` first (the prefix the loader adds), then the
 * file's own columns in file order; `_extra` last when the file has unknown columns. FORCE_NULL
 * makes a quoted empty field NULL too, as the row path's parser sees it.
 */
export function bronzeCopySql(source: string, fileColumns: string[], withExtra: boolean): string {
  const cols = fileColumns.map(quoteIdent);
  const list = ['"_line"', ...cols, ...(withExtra ? ['"_extra"'] : [])].join(', ');
  return `copy ${qualified('bronze', source)} (${list}) from stdin with (format csv, force_null (${cols.join(', ')}))`;
}
