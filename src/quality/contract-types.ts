import type pg from 'pg';
import { quoteIdent, qualified } from '../db/ident';
import type { ColumnContract, SourceContract } from '../contracts/source-contract';
import type { RuleResult } from './runner';

/** A value that parses as the contract's type (the same functions the silver models use). */
const PARSES: Record<ColumnContract['type'], ((v: string) => string) | null> = {
  text: null,
  int: (v) => `meta.is_int_text(btrim(${v}))`,
  date: (v) => `meta.try_date(${v}) is not null`,
  yyyymmdd: (v) => `meta.int_date(${v}) is not null`,
};

/**
 * Type checks derived from the source contract: for each typed column, the share of the run's
 * bronze values (present, non-blank) that parse as the contract's type. Action warn: silver's
 * rules decide what happens to such a value (NULL, repair or quarantine); this counts them.
 */
export async function checkContractTypes(client: pg.ClientBase, contract: SourceContract): Promise<RuleResult[]> {
  const typed = contract.columns.filter((c) => PARSES[c.type] !== null);
  if (typed.length === 0) return [];
  const present = (c: ColumnContract) => `nullif(btrim(b.${quoteIdent(c.column)}), '') is not null`;
  const counts = typed
    .map((c, i) => `count(*) filter (where ${present(c)})::bigint as n${i}, count(*) filter (where ${present(c)} and not (${PARSES[c.type]!(`b.${quoteIdent(c.column)}`)}))::bigint as f${i}`)
    .join(', ');
  const { rows } = await client.query(`select ${counts} from ${qualified('bronze', contract.name)} b join run_files_in rf on rf.file_id = b._file_id`);
  const r = rows[0] as Record<string, number>;
  return typed.map((c, i) => ({
    layer: 'silver' as const,
    model: contract.entity,
    rule: `contract_type_${c.column}`,
    rowsChecked: Number(r[`n${i}`]),
    rowsFailed: Number(r[`f${i}`]),
    threshold: null,
    action: 'warn' as const,
    outcome: Number(r[`f${i}`]) > 0 ? ('warned' as const) : ('passed' as const),
    sampleKeys: [],
  }));
}
