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
 * Silver staging tables that already hold a source column's parse, by source: the check reads
 * them instead of parsing the run's bronze rows a second time. Each staged column must be the pure
 * parse of its bronze column, exactly as the bronze check below parses it (no rule applied on
 * top): present and NULL is a value that failed to parse. The staging table keeps the raw columns
 * (`b.*`). tests/integration/contract-types.test.ts compares both paths on dirty rows.
 * Measured at seed scale, 7.5 M order lines: 14.5 s from bronze (three calendar joins and four
 * integer checks over every row), about 2 s from the staging table; 1 M customers (the date
 * and the integer id): 1.0–1.5 s from bronze, 0.2–0.3 s from stg_customers; 1 M ERP customers
 * (the birthdate): 0.48–0.57 s from bronze, 0.11–0.12 s from ranked_erp_customers.
 * A first load built whole (src/pipeline/sales-load.ts) stages no such table: every line of the
 * run is in the table it built, whose parse flags it counted. Their bit order is the
 * order of `columns` (k-th column: bit 2k blank, bit 2k+1 present but not parsed; migration 019).
 */
export const STAGED_PARSES: Record<string, { relation: string; columns: Record<string, string> }> = {
  crm_cust_info: {
    relation: 'stg_customers', // sql/silver/customers.sql
    columns: { cst_id: 'customer_id', cst_create_date: 'create_date' },
  },
  erp_cust_az12: {
    relation: 'ranked_erp_customers', // sql/silver/erp_customers.sql (the date as parsed, before the as-of rule)
    columns: { bdate: 'bdate_parsed' },
  },
  crm_sales_details: {
    relation: 'stg_sales', // sql/silver/sales.sql (the path built whole counts from its tally instead)
    columns: { // in the bit order of meta.run_sales_image._parse_flags
      sls_cust_id: 'customer_id',
      sls_order_dt: 'order_date',
      sls_ship_dt: 'ship_date',
      sls_due_dt: 'due_date',
      sls_sales: 'sales_raw',
      sls_quantity: 'quantity',
      sls_price: 'price_raw',
    },
  },
};

/**
 * Type checks derived from the source contract: for each typed column, the share of the run's
 * bronze values (present, non-blank) that parse as the contract's type. Action warn: silver's
 * rules decide what happens to such a value (NULL, repair or quarantine); this counts them.
 * Reads the step's staging table where STAGED_PARSES names one (it must exist: call after the
 * silver SQL, in its transaction), or the tally of every line's parse flags when given; else the run's
 * bronze rows.
 */
export async function checkContractTypes(
  client: pg.ClientBase,
  contract: SourceContract,
  opts: { fromBronze?: boolean; tally?: FlagTally } = {},
): Promise<RuleResult[]> {
  const typed = contract.columns.filter((c) => c.type !== 'text');
  if (typed.length === 0) return [];
  const staged = opts.fromBronze ? undefined : STAGED_PARSES[contract.name];
  const r =
    staged && typed.every((c) => staged.columns[c.column])
      ? opts.tally
        ? countFromTally(opts.tally, typed, staged)
        : await countFromStaging(client, typed, staged)
      : await countFromBronze(client, contract, typed);
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

type Counts = Record<string, number | string>;

async function countFromBronze(client: pg.ClientBase, contract: SourceContract, typed: ColumnContract[]): Promise<Counts> {
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
  return rows[0] as Counts;
}

/**
 * The same counts from the staging table. A parsed value implies a present one, so blanks are
 * tested only on the rows whose parse is NULL: a trim per NULL, not per value.
 */
async function countFromStaging(client: pg.ClientBase, typed: ColumnContract[], staged: { relation: string; columns: Record<string, string> }): Promise<Counts> {
  const counts = typed.map((c, i) => {
    const raw = `s.${quoteIdent(c.column)}`;
    const parsed = `s.${quoteIdent(staged.columns[c.column]!)}`;
    return (
      `(count(*) - count(*) filter (where ${parsed} is null and nullif(btrim(${raw}), '') is null))::bigint as n${i}, ` +
      `count(*) filter (where ${parsed} is null and nullif(btrim(${raw}), '') is not null)::bigint as f${i}`
    );
  });
  const { rows } = await client.query(`select ${counts.join(', ')} from ${quoteIdent(staged.relation)} s`);
  return rows[0] as Counts;
}

/** Lines seen, and for each bit 0–31 of their parse flags the lines that had it set. */
export interface FlagTally {
  rows: number;
  bits: number[];
}

/**
 * The tally of lines counted by distinct parse flags value (`lines` as the database's bigint
 * text): a first load counts its table's flags with one GROUP BY (sql/silver/sales_first_load.sql).
 */
export function tallyOfFlags(groups: readonly { flags: number; lines: string | number }[]): FlagTally {
  const tally: FlagTally = { rows: 0, bits: new Array<number>(32).fill(0) };
  for (const { flags, lines } of groups) {
    const n = Number(lines);
    tally.rows += n;
    for (let f = flags >>> 0, b = 0; f !== 0; f >>>= 1, b++) if (f & 1) tally.bits[b]! += n;
  }
  return tally;
}

/** The same counts from a tally of parse flags (bit 2k blank, 2k+1 not parsed). */
function countFromTally(tally: FlagTally, typed: ColumnContract[], staged: { columns: Record<string, string> }): Counts {
  const order = Object.keys(staged.columns);
  const counts: Counts = {};
  typed.forEach((c, i) => {
    const k = order.indexOf(c.column);
    counts[`n${i}`] = tally.rows - tally.bits[2 * k]!;
    counts[`f${i}`] = tally.bits[2 * k + 1]!;
  });
  return counts;
}
