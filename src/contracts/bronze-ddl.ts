import { qualified, quoteIdent } from '../db/ident';
import type { Pool } from '../db/pool';
import type { SourceContract } from './source-contract';

/** Lineage and bookkeeping columns every bronze table has after the contract's columns. */
export const BRONZE_LINEAGE = [
  { name: '_extra', type: 'jsonb', description: 'Columns of the file outside the contract, by header name (NULL when none).' },
  { name: '_run_id', type: 'bigint', description: 'Lineage — the run that loaded the row.' },
  { name: '_file_id', type: 'bigint', description: 'Lineage — the file (meta.files) the row came from.' },
  { name: '_line', type: 'bigint', description: 'Lineage — the physical line of the row in its file (1 = header).' },
  { name: '_ingested_at', type: 'timestamp with time zone', description: 'When the row was loaded.' },
] as const;

/** The bronze columns a contract implies: each contract column as raw text, then lineage. */
export function bronzeColumns(contract: SourceContract): { name: string; type: string }[] {
  return [...contract.columns.map((c) => ({ name: c.column, type: 'text' })), ...BRONZE_LINEAGE.map(({ name, type }) => ({ name, type }))];
}

/** CREATE TABLE of a source's bronze table, derived from its contract: partitioned by file (migration 023). */
export function bronzeCreateSql(contract: SourceContract): string {
  const cols = contract.columns.map((c) => `  ${quoteIdent(c.column)} text`);
  return [
    `create table ${qualified('bronze', contract.name)} (`,
    [...cols, '  _extra jsonb', '  _run_id bigint not null', '  _file_id bigint not null', '  _line bigint not null', '  _ingested_at timestamptz not null default now()'].join(',\n'),
    ') partition by range (_file_id);',
  ].join('\n');
}

export interface Drift {
  source: string;
  problem: string;
  /** The statement that would make the database follow the contract (for a new migration). */
  fix: string;
}

/**
 * Where the database's bronze tables and the contracts disagree: a missing table, a contract
 * column missing from the table, a column the contract does not know, or a different type.
 */
export async function bronzeDrift(pool: Pool, contracts: readonly SourceContract[]): Promise<Drift[]> {
  const { rows } = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
    // The sources' tables by name: not their partitions, one per file loaded (migration 023).
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'bronze' and table_name = any($1::text[]) order by table_name, ordinal_position`,
    [contracts.map((c) => c.name)],
  );
  const drift: Drift[] = [];
  for (const c of contracts) {
    const actual = rows.filter((r) => r.table_name === c.name);
    if (actual.length === 0) {
      drift.push({ source: c.name, problem: `table bronze.${c.name} does not exist`, fix: bronzeCreateSql(c) });
      continue;
    }
    const expected = bronzeColumns(c);
    for (const e of expected) {
      const a = actual.find((r) => r.column_name === e.name);
      if (!a) drift.push({ source: c.name, problem: `column ${e.name} is in the contract, not in bronze.${c.name}`, fix: `alter table ${qualified('bronze', c.name)} add column ${quoteIdent(e.name)} ${e.type};` });
      else if (a.data_type !== e.type) {
        drift.push({ source: c.name, problem: `column ${e.name} is ${a.data_type} in bronze.${c.name}, ${e.type} by the contract`, fix: `alter table ${qualified('bronze', c.name)} alter column ${quoteIdent(e.name)} type ${e.type};` });
      }
    }
    for (const a of actual) {
      if (!expected.some((e) => e.name === a.column_name)) {
        drift.push({ source: c.name, problem: `column ${a.column_name} of bronze.${c.name} is not in the contract`, fix: `-- add ${a.column_name} to the contract of ${c.name}, or drop it in a migration` });
      }
    }
  }
  return drift;
}
