import type pg from 'pg';
import { quoteIdent, qualified } from '../db/ident';
import type { ColumnContract, SourceContract } from '../contracts/source-contract';
import type { RuleResult } from './runner';

/**
 * How a typed value is checked: dates by the calendar lookup the silver models use (a hash join on
 * the raw text is an order of magnitude cheaper than a parsing function per value), with the
 * parsing function only for the values the lookup misses.
 */
const CALENDAR_KEY: Partial<Record<ColumnContract['type'], { column: string; parse: string }>> = {
  date: { column: 'iso', parse: 'meta.try_date' },
  yyyymmdd: { column: 'yyyymmdd', parse: 'meta.int_date' },
};

/**
 * Type checks derived from the source contract: for each typed column, the share of the run's
 * bronze values (present, non-blank) that parse as the contract's type. Action warn: silver's
 * rules decide what happens to such a value (NULL, repair or quarantine); this counts them.
 */
export async function checkContractTypes(client: pg.ClientBase, contract: SourceContract): Promise<RuleResult[]> {
  const typed = contract.columns.filter((c) => c.type !== 'text');
  if (typed.length === 0) return [];
  const joins: string[] = [];
  const counts = typed.map((c, i) => {
    const v = `b.${quoteIdent(c.column)}`;
    const present = `nullif(btrim(${v}), '') is not null`;
    const cal = CALENDAR_KEY[c.type];
    let bad: string;
    if (cal) {
      joins.push(`left join meta.calendar c${i} on c${i}.${cal.column} = ${v}`);
      bad = `case when c${i}.day is not null then false else ${cal.parse}(${v}) is null end`;
    } else bad = `not meta.is_int_text(btrim(${v}))`;
    return `count(*) filter (where ${present})::bigint as n${i}, count(*) filter (where ${present} and ${bad})::bigint as f${i}`;
  });
  const { rows } = await client.query(
    `select ${counts.join(', ')} from ${qualified('bronze', contract.name)} b ${joins.join(' ')} where b._file_id = any(meta.ctx_file_ids())`,
  );
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
