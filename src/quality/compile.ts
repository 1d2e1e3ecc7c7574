import { qualified, quoteIdent } from '../db/ident';
import type { Expectation } from './expectations';

/** Collects query parameters; returns the placeholder of each value added. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * A row-level expectation as a predicate over the model's row `t`: true when the row passes.
 * NULLs pass every rule but not_null (as in dbt), so one missing value fails one rule only.
 * Identifiers are validated and quoted; values are parameters. Conservation is not row-level.
 *
 * This form stands alone (correlated subqueries for unique and relationships): it serves
 * statements over the few rows a rule drops. Scans over a whole model use compileScan instead.
 */
export function passPredicate(
  e: Exclude<Expectation, { rule: 'conservation' }>,
  schema: string,
  model: string,
  p: Params,
  /** True for a column of an integer type (int2, int4, int8): its range bounds are compared as integers. */
  integerColumn: (column: string) => boolean = () => false,
): string {
  switch (e.rule) {
    case 'not_null':
      return `t.${quoteIdent(e.column)} is not null`;
    case 'unique': {
      const cols = e.columns.map(quoteIdent);
      const same = cols.map((c) => `u.${c} = t.${c}`).join(' and ');
      return `not exists (select 1 from ${qualified(schema, model)} u where ${same} and u.ctid <> t.ctid)`;
    }
    case 'accepted_values':
      return `t.${quoteIdent(e.column)} is null or t.${quoteIdent(e.column)}::text = any(${p.add(e.values)}::text[])`;
    case 'range': {
      const c = `t.${quoteIdent(e.column)}`;
      // An integer column against a numeric bound is cast to numeric on every row (seed scale,
      // the order lines' two range rules: 3.3 → 2.5 core-s for the whole scan compared as
      // integers). For an integer, c >= min is c >= ceil(min), and c <= max is c <= floor(max).
      const bound = (v: number, round: (x: number) => number): string => {
        const whole = round(v);
        return integerColumn(e.column) && Number.isSafeInteger(whole) ? `${p.add(whole)}::int8` : `${p.add(v)}::numeric`;
      };
      const parts = [e.min !== undefined ? `${c} >= ${bound(e.min, Math.ceil)}` : null, e.max !== undefined ? `${c} <= ${bound(e.max, Math.floor)}` : null].filter(Boolean);
      return `${c} is null or (${parts.length > 0 ? parts.join(' and ') : 'true'})`;
    }
    case 'relationships':
      return `t.${quoteIdent(e.column)} is null or exists (select 1 from ${qualified(schema, e.to_table)} r where r.${quoteIdent(e.to_column)} = t.${quoteIdent(e.column)})`;
    case 'expression':
      // Trusted SQL from the repository's expectations file; its bare column names resolve to `t`,
      // the only table of the statements the runner builds.
      return `(${e.sql})`;
  }
}

/** Predicates over `t` plus the joins they read, for one scan of a whole model. */
export interface ScanRules {
  /** `left join …` clauses to put after `from <model> t`. */
  joins: string;
  /** One predicate per rule, in order: true when the row passes. */
  predicates: string[];
}

/**
 * The rules of one scan, with unique and relationships as left joins to a set computed once
 * (duplicated keys; the referenced keys) rather than a subquery per row: a correlated EXISTS
 * costs an index probe per row and per mention (measured: 59 s for the relationship rule on
 * 7.5 M facts, against about 2 s as a hash join), and a unique rule on an unindexed column
 * would scan the table once per row. `skip` marks rules known to pass (e.g. a unique index).
 */
export function compileScan(
  rules: Exclude<Expectation, { rule: 'conservation' }>[],
  schema: string,
  model: string,
  p: Params,
  skip: (e: Expectation) => boolean,
  /** True when a relationship's target column is unique: joined as is (through its index on a small run). */
  uniqueTarget: (e: Extract<Expectation, { rule: 'relationships' }>) => boolean = () => false,
  /** True for a column of an integer type (passPredicate). */
  integerColumn: (column: string) => boolean = () => false,
): ScanRules {
  const joins: string[] = [];
  const predicates = rules.map((e, i) => {
    if (skip(e)) return 'true';
    const alias = `x${i}`;
    if (e.rule === 'relationships') {
      const to = quoteIdent(e.to_column);
      const target = uniqueTarget(e) ? `${qualified(schema, e.to_table)}` : `(select distinct r.${to} from ${qualified(schema, e.to_table)} r)`;
      joins.push(`left join ${target} ${alias} on ${alias}.${to} = t.${quoteIdent(e.column)}`);
      return `t.${quoteIdent(e.column)} is null or ${alias}.${to} is not null`;
    }
    if (e.rule === 'unique') {
      const cols = e.columns.map(quoteIdent);
      joins.push(
        `left join (select ${cols.join(', ')} from ${qualified(schema, model)} group by ${cols.join(', ')} having count(*) > 1) ${alias}` +
          ` on ${cols.map((c) => `${alias}.${c} = t.${c}`).join(' and ')}`,
      );
      return `${alias}.${cols[0]} is null`;
    }
    return passPredicate(e, schema, model, p, integerColumn);
  });
  return { joins: joins.join('\n'), predicates: predicates.map((x) => `coalesce((${x}), false)`) };
}
