import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error';

const Ident = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier');
const Share = z
  .union([z.number().min(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/)])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100));

const Common = {
  name: Ident.optional(),
  action: z.enum(['warn', 'drop', 'fail']),
  threshold: Share.optional(),
};

export const Expectation = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('not_null'), column: Ident, ...Common }),
  z.strictObject({ rule: z.literal('unique'), columns: z.array(Ident).min(1), ...Common }),
  z.strictObject({ rule: z.literal('accepted_values'), column: Ident, values: z.array(z.string()).min(1), ...Common }),
  z.strictObject({ rule: z.literal('range'), column: Ident, min: z.number().optional(), max: z.number().optional(), ...Common }),
  z.strictObject({ rule: z.literal('relationships'), column: Ident, to_table: Ident, to_column: Ident, ...Common }),
  // A custom predicate, true for a passing row. SQL written by the team in the repository, like a model.
  z.strictObject({ rule: z.literal('expression'), sql: z.string().min(1), ...Common, name: Ident }),
  // Row conservation between layers. Silver: every bronze row of the run reaches silver by key
  // (bronze_key, an expression over bronze row `b`, = silver_key), or is quarantined. Gold: every
  // row of silver model `from` that the run changed has a row in this model with the same `key`.
  z
    .strictObject({
      rule: z.literal('conservation'),
      bronze_key: z.string().min(1).optional(),
      silver_key: Ident.optional(),
      from: Ident.optional(),
      key: z.array(Ident).min(1).optional(),
      ...Common,
    })
    .refine((e) => (e.bronze_key !== undefined && e.silver_key !== undefined) !== (e.from !== undefined && e.key !== undefined), {
      message: 'conservation needs bronze_key and silver_key (silver), or from and key (gold)',
    }),
]);
export type Expectation = z.infer<typeof Expectation>;

export const ModelSpec = z.strictObject({
  description: z.string().min(1),
  grain: z.string().min(1),
  key: z.array(Ident).min(1),
  /** Rows checked: those this run changed (`_run_id`), or the whole table. */
  scope: z.enum(['run', 'all']).default('run'),
  expectations: z.array(Expectation),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

const LayerFile = z.strictObject({ models: z.record(Ident, ModelSpec) });
export type LayerExpectations = z.infer<typeof LayerFile>['models'];

const SQL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');
const cache = new Map<string, LayerExpectations>();

/** The rule's name in results and quarantine: `name`, else derived from rule and columns. */
export function ruleName(e: Expectation): string {
  if (e.name) return e.name;
  switch (e.rule) {
    case 'unique':
      return `unique_${e.columns.join('_')}`;
    case 'conservation':
      return 'conservation';
    case 'expression':
      return e.name;
    default:
      return `${e.rule}_${e.column}`;
  }
}

/**
 * The expectations of a layer: sql/<layer>/expectations.yml, or <dir>/<layer>.yml when dir is
 * given (METALAYER_EXPECTATIONS_DIR). Parsed by zod; a bad file stops the step with its path.
 */
export function loadExpectations(layer: 'silver' | 'gold', dir?: string): LayerExpectations {
  const file = dir ? path.join(dir, `${layer}.yml`) : path.join(SQL_ROOT, layer, 'expectations.yml');
  const cached = cache.get(file);
  if (cached) return cached;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the expectations ${file}: ${(err as Error).message}`);
  }
  const parsed = LayerFile.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid expectations ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  for (const [model, spec] of Object.entries(parsed.data.models)) {
    const names = spec.expectations.map(ruleName);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new ConfigError(`invalid expectations ${file}: model ${model} has two rules named ${dup}; give one a name`);
    if (spec.expectations.some((e) => e.rule === 'conservation' && e.action === 'drop')) {
      throw new ConfigError(`invalid expectations ${file}: model ${model}: conservation cannot drop rows (its rows are missing ones); use warn or fail`);
    }
    if (layer === 'gold' && spec.expectations.some((e) => e.action === 'drop')) {
      throw new ConfigError(`invalid expectations ${file}: model ${model}: gold rows are derived, so drop is not allowed (fix silver instead)`);
    }
  }
  cache.set(file, parsed.data.models);
  return parsed.data.models;
}

/**
 * Per model of a layer, the other models of that layer its relationships expectations read (the
 * retail silver: sales → products). Such a check must run after the model it reads is built, or
 * every row fails it: the silver steps start in that order (src/queue/flow.ts, silverOrder).
 */
export function layerReferences(specs: LayerExpectations): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const [model, spec] of Object.entries(specs)) {
    const to = [...new Set(spec.expectations.flatMap((e) => (e.rule === 'relationships' && e.to_table !== model && e.to_table in specs ? [e.to_table] : [])))];
    if (to.length > 0) refs.set(model, to);
  }
  return refs;
}

/**
 * layerReferences of a layer's expectations file, or none when the file is invalid: for planning
 * a run's order only. The step that loads the file fails, naming the problem, on the run.
 */
export function layerReferencesIfValid(layer: 'silver' | 'gold', dir?: string): Map<string, string[]> {
  try {
    return layerReferences(loadExpectations(layer, dir));
  } catch (err) {
    if (err instanceof ConfigError) return new Map();
    throw err;
  }
}
