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
 */
export function passPredicate(e: Exclude<Expectation, { rule: 'conservation' }>, schema: string, model: string, p: Params): string {
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
      const parts = [e.min !== undefined ? `${c} >= ${p.add(e.min)}::numeric` : null, e.max !== undefined ? `${c} <= ${p.add(e.max)}::numeric` : null].filter(Boolean);
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
