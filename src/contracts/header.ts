import { ContractError } from '../errors/contract-error';
import type { SourceContract } from './source-contract';

/** How one file's header maps onto its source contract. */
export interface HeaderMapping {
  /** For each position in the file: the bronze column, or null for an unknown extra column. */
  columns: (string | null)[];
  /** Header names of the unknown extra columns, kept in bronze `_extra`. */
  extras: string[];
  /** Optional contract columns the file lacks (loaded as NULL). */
  missingOptional: string[];
}

/** Maps header names case-insensitively; a missing required or a duplicated column refuses the file. */
export function mapHeader(contract: SourceContract, header: readonly string[], fileLabel: string): HeaderMapping {
  const byName = new Map(contract.columns.map((c) => [c.header.toLowerCase(), c]));
  const seen = new Set<string>();
  const columns: (string | null)[] = [];
  const extras: string[] = [];
  if (header.length === 1) {
    const delimiter = [';', '\t', '|'].find((d) => header[0]!.includes(d));
    if (delimiter) {
      const shown = delimiter === '\t' ? 'a tab' : `"${delimiter}"`;
      throw new ContractError(`${fileLabel}: the header is one column ("${header[0]!.slice(0, 60)}…"): the file seems to use ${shown} as its delimiter; MetaLayer reads comma-separated files — export with "," and send it again`);
    }
  }
  for (const [i, raw] of header.entries()) {
    const name = raw.trim().toLowerCase();
    // A trailing delimiter on every line makes an unnamed last column: ignored (its values are dropped).
    if (name === '' && i === header.length - 1 && header.length > 1) {
      columns.push(null);
      continue;
    }
    if (name === '') throw new ContractError(`${fileLabel}: the header has an empty column name (column ${i + 1})`);
    if (seen.has(name)) throw new ContractError(`${fileLabel}: the header names column "${raw.trim()}" twice`);
    seen.add(name);
    const c = byName.get(name);
    columns.push(c ? c.column : null);
    if (!c) extras.push(raw.trim());
  }
  const missingRequired = contract.columns.filter((c) => c.required && !seen.has(c.header.toLowerCase()));
  if (missingRequired.length > 0) {
    const names = missingRequired.map((c) => c.header).join(', ');
    throw new ContractError(
      `${fileLabel}: required column${missingRequired.length > 1 ? 's' : ''} ${names} missing from the header ` +
        `(found: ${header.map((h) => h.trim()).join(', ')}); the whole file was refused`,
    );
  }
  const missingOptional = contract.columns.filter((c) => !c.required && !seen.has(c.header.toLowerCase())).map((c) => c.header);
  return { columns, extras, missingOptional };
}
