import type pg from 'pg';
import { RETAIL_SOURCES } from '../contracts/retail';
import { qualified, quoteIdent } from '../db/ident';
import { currentSettings, setLocalSettings } from '../db/settings';
import { ExpectationError } from '../errors/expectation-error';
import { compileScan, passPredicate, Params } from './compile';
import { ruleName, type Expectation, type LayerExpectations } from './expectations';

export interface RuleResult {
  layer: 'silver' | 'gold';
  model: string;
  rule: string;
  rowsChecked: number;
  rowsFailed: number;
  threshold: number | null;
  action: Expectation['action'];
  outcome: 'passed' | 'warned' | 'dropped' | 'failed';
  sampleKeys: unknown[];
}

export interface ModelScore {
  layer: 'silver' | 'gold';
  model: string;
  rowsChecked: number;
  rowsPassed: number;
  score: number;
}

const SAMPLE = 5;

/**
 * Checks one model's expectations inside the step's transaction (the caller set the run context
 * and, for silver, the run's files: meta.ctx_file_ids()). Counts every rule in one scan, then applies each failing rule's
 * action: warn keeps the rows, drop moves them to quarantine, fail throws ExpectationError after
 * every rule was evaluated (the step then rolls back; the caller keeps the results).
 */
export async function checkModel(
  client: pg.ClientBase,
  layer: 'silver' | 'gold',
  model: string,
  spec: LayerExpectations[string],
  opts: CheckOptions = {},
): Promise<{ results: RuleResult[]; score: ModelScore }> {
  const table = qualified(layer, model);
  const scope = spec.scope === 'run' ? 't._run_id = meta.ctx_run_id()' : 'true';
  const rowRules = spec.expectations.filter((e): e is Exclude<Expectation, { rule: 'conservation' }> => e.rule !== 'conservation');
  const enforced = await uniqueIndexes(client, layer, model);
  // A unique rule the database already enforces with a unique index cannot fail: no scan for it.
  const isEnforced = (e: (typeof rowRules)[number]): boolean => e.rule === 'unique' && enforced.has([...e.columns].sort().join(','));
  const params = new Params();
  const uniqueTargets = new Set<string>();
  for (const e of rowRules) {
    if (e.rule === 'relationships' && (await uniqueIndexes(client, layer, e.to_table)).has(e.to_column)) uniqueTargets.add(`${e.to_table}.${e.to_column}`);
  }
  const integers = await integerColumns(client, layer, model);
  const integerColumn = (column: string): boolean => integers.has(column);
  const { joins, predicates } = compileScan(
    rowRules,
    layer,
    model,
    params,
    (e) => e.rule !== 'conservation' && isEnforced(e),
    (e) => uniqueTargets.has(`${e.to_table}.${e.to_column}`),
    integerColumn,
  );
  const from = `${table} t ${joins}`;
  // A model built whole by this run: its scope is every row it wrote, already counted.
  const scopeRows = opts.wholeLoad?.model === model ? opts.wholeLoad.loaded : undefined;
  const restoreJoins = await hashJoinsForLargeScope(client, layer, table, scope, rowRules, scopeRows);
  const counts = await client.query(
    `select count(*)::bigint as checked,
            count(*) filter (where ${predicates.length > 0 ? predicates.join(' and ') : 'true'})::bigint as passed
            ${predicates.map((p, i) => `, count(*) filter (where not ${p})::bigint as f${i}`).join('')}
       from ${from} where ${scope}`,
    params.values,
  );
  const c = counts.rows[0] as Record<string, number>;
  const checked = Number(c.checked);
  const keyJson = `jsonb_build_object(${spec.key.map((k) => `'${k}', t.${quoteIdent(k)}`).join(', ')})`;

  // One rule's predicate on its own parameters, for the statements that use that rule alone.
  const alone = (e: (typeof rowRules)[number]): { sql: string; params: Params } => {
    const own = new Params();
    return { sql: `coalesce((${passPredicate(e, layer, model, own, integerColumn)}), false)`, params: own };
  };
  // The failing rows, scored once (one more scan, only when something failed); samples come from them.
  const anyFailed = Number(c.passed) < checked;
  await storeRowScores(client, layer, model, from, scope, keyJson, rowRules, predicates, params, anyFailed);
  await restoreJoins();
  const results: RuleResult[] = [];
  for (const [i, e] of rowRules.entries()) {
    const failed = Number(c[`f${i}`]);
    const sample =
      failed === 0
        ? []
        : (
            await client.query(
              `select row_key from meta.row_scores where run_id = meta.ctx_run_id() and layer = $1 and model = $2 and $3 = any(failed_rules)
                order by row_key limit ${SAMPLE}`,
              [layer, model, ruleName(e)],
            )
          ).rows.map((r) => r.row_key);
    results.push(outcomeOf(layer, model, e, checked, failed, sample));
  }
  for (const e of spec.expectations) {
    if (e.rule !== 'conservation') continue;
    const proven = layer === 'gold' ? conservedByCount(model, e, opts) : undefined;
    results.push(proven ?? (layer === 'silver' ? await checkConservation(client, model, e) : await checkGoldConservation(client, model, e)));
  }

  for (const [i, e] of rowRules.entries()) {
    const r = results[i]!;
    if (r.outcome !== 'dropped') continue;
    const one = alone(e);
    const p = one.params;
    await client.query(
      `with gone as (delete from ${table} t where ${scope} and not ${one.sql} returning t.*)
       insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
       select meta.ctx_run_id(), g._file_id, ${p.add(sourceOf(model))}, g._line, 'silver', ${p.add(`${model}.${r.rule}`)},
              ${p.add(`dropped by expectation ${r.rule} (${e.rule})`)}, to_jsonb(g)
         from gone g
       on conflict (file_id, line, stage, rule) do nothing`,
      p.values,
    );
  }
  const score: ModelScore = { layer, model, rowsChecked: checked, rowsPassed: Number(c.passed), score: checked === 0 ? 1 : Number(c.passed) / checked };
  const failures = results.filter((r) => r.outcome === 'failed');
  if (failures.length > 0) {
    const detail = failures.map((f) => `${f.rule}: ${f.rowsFailed} of ${f.rowsChecked} rows, e.g. ${JSON.stringify(f.sampleKeys.slice(0, 3))}`).join('; ');
    throw new ExpectationError(`${layer}.${model} failed its expectations — ${detail}`, [...results, score]);
  }
  return { results, score };
}

function outcomeOf(layer: 'silver' | 'gold', model: string, e: Expectation, checked: number, failed: number, sample: unknown[]): RuleResult {
  const base = { layer, model, rule: ruleName(e), rowsChecked: checked, rowsFailed: failed, threshold: e.threshold ?? null, action: e.action, sampleKeys: sample };
  if (failed === 0) return { ...base, outcome: 'passed' };
  const share = checked === 0 ? 0 : failed / checked;
  if (e.threshold !== undefined && share <= e.threshold) return { ...base, outcome: 'warned' };
  return { ...base, outcome: e.action === 'warn' ? 'warned' : e.action === 'drop' ? 'dropped' : 'failed' };
}

function sourceOf(entity: string): string {
  const s = RETAIL_SOURCES.find((x) => x.entity === entity);
  if (!s) throw new ExpectationError(`no source feeds silver.${entity}`, []);
  return s.name;
}

/** What a step's load tells the checks about the rows it wrote. */
export interface CheckOptions {
  /**
   * A gold model that was empty and was built whole, in one statement, from the run's rows of
   * silver `from` (src/pipeline/fact-load.ts): `loaded` rows written, `silverRows` rows of the run in silver.
   */
  wholeLoad?: { model: string; from: string; loaded: number; silverRows: number };
  /**
   * A gold model upserted from the run's rows of silver `from` (src/pipeline/fact-load.ts):
   * `inserted` rows written for the run's keys it lacked, `kept` the run's keys it had already
   * (found by their key in the step's transaction: updated, or as they must be), `silverRows`
   * rows of the run in silver.
   */
  upsert?: { model: string; from: string; inserted: number; kept: number; silverRows: number };
}

/**
 * The conservation rule of a model the step loaded, proven by counting instead of by the full
 * check's anti-join (8.9 s on 7.5 M facts; 0.3–0.5 s for a 1 % day's 75 k lines, on its critical
 * path). Built whole: every row written carries the key of a silver row of the run (its view reads
 * silver by the run), silver's key is unique and so is the model's (its primary key was built
 * after the rows), so as many rows written as the run has in silver means every one arrived.
 * Upserted: the keys inserted and the keys found already there (each a key of a run's silver row,
 * and found before the insert, which skips them) are two disjoint sets of distinct run keys, and
 * nothing in the step deletes a row, so as many of them together as the run has in silver means
 * every one has its row. Undefined when the counts differ or the rule is about another load: the
 * full check then runs and names the lost keys.
 */
function conservedByCount(model: string, e: Extract<Expectation, { rule: 'conservation' }>, opts: CheckOptions): RuleResult | undefined {
  const whole = opts.wholeLoad;
  if (whole && whole.model === model && whole.from === e.from && whole.loaded === whole.silverRows) {
    return outcomeOf('gold', model, e, whole.silverRows, 0, []);
  }
  const upsert = opts.upsert;
  if (upsert && upsert.model === model && upsert.from === e.from && upsert.inserted + upsert.kept === upsert.silverRows) {
    return outcomeOf('gold', model, e, upsert.silverRows, 0, []);
  }
  return undefined;
}

/** Every silver row of `from` changed by the run has a row in the gold model with the same key. */
async function checkGoldConservation(client: pg.ClientBase, model: string, e: Extract<Expectation, { rule: 'conservation' }>): Promise<RuleResult> {
  const keys = e.key!.map(quoteIdent);
  const { rows } = await client.query(
    `with lost as (
       select ${keys.map((k) => `s.${k}`).join(', ')} from ${qualified('silver', e.from!)} s
        where s._run_id = meta.ctx_run_id()
          and not exists (select 1 from ${qualified('gold', model)} g where ${keys.map((k) => `g.${k} = s.${k}`).join(' and ')})
     )
     select (select count(*) from ${qualified('silver', e.from!)} s where s._run_id = meta.ctx_run_id())::bigint as checked,
            (select count(*) from lost)::bigint as failed,
            coalesce((select jsonb_agg(to_jsonb(l)) from (select * from lost order by ${keys.join(', ')} limit ${SAMPLE}) l), '[]') as sample`,
  );
  const r = rows[0] as { checked: number; failed: number; sample: unknown[] };
  return outcomeOf('gold', model, e, Number(r.checked), Number(r.failed), r.sample);
}

/** Every bronze row of the run's files reaches silver by its key, or is quarantined by silver. */
async function checkConservation(client: pg.ClientBase, model: string, e: Extract<Expectation, { rule: 'conservation' }>): Promise<RuleResult> {
  const bronze = qualified('bronze', sourceOf(model));
  const silverKey = quoteIdent(e.silver_key!);
  const { rows } = await client.query(
    `with rows_in as (
       select b._file_id, b._line, (${e.bronze_key}) as k from ${bronze} b where b._file_id = any(meta.ctx_file_ids())
     ), lost as (
       select r._file_id, r._line from rows_in r
        where not exists (select 1 from ${qualified('silver', model)} s where s.${silverKey} = r.k)
          and not exists (select 1 from quarantine.rejects q where q.file_id = r._file_id and q.line = r._line and q.stage = 'silver')
     )
     select (select count(*) from rows_in)::bigint as checked, (select count(*) from lost)::bigint as failed,
            coalesce((select jsonb_agg(jsonb_build_object('file_id', _file_id, 'line', _line)) from (select * from lost order by _file_id, _line limit ${SAMPLE}) l), '[]') as sample`,
  );
  const r = rows[0] as { checked: number; failed: number; sample: unknown[] };
  return outcomeOf('silver', model, e, Number(r.checked), Number(r.failed), r.sample);
}

/**
 * How a run-scoped scan reaches its relationship targets. A step that changed few rows runs with
 * key lookups on (meta.set_key_lookups, migration 014), and the planner, which does not know a new
 * run's rows yet (the run index's statistics predate them), looks every row of the scope up in the
 * target: at seed scale, a 1 % day's 75 k facts checked against the million-row customer dimension
 * took 0.99 s by lookups and 0.43 s by hashing the dimension. The scope is counted and judged
 * against the smallest target by meta.use_key_lookups (its 5 % rule); when it is larger, the scan
 * hashes, and the step's settings come back after it (the returned function). `scopeRows`: the
 * scope's size when the caller knows it (a model built whole: seed scale, counting the 7.5 M facts
 * by their run took 0.9 s of a first load's facts step, in one process).
 */
export async function hashJoinsForLargeScope(
  client: pg.ClientBase,
  layer: string,
  table: string,
  scope: string,
  rules: Exclude<Expectation, { rule: 'conservation' }>[],
  scopeRows?: number,
): Promise<() => Promise<void>> {
  const targets = rules.flatMap((e) => (e.rule === 'relationships' ? [qualified(layer, e.to_table)] : []));
  const keep = async (): Promise<void> => {};
  if (targets.length === 0 || scope === 'true') return keep;
  const before = await currentSettings(client, ['enable_nestloop', 'random_page_cost']);
  if (before.enable_nestloop !== 'on') return keep;
  // meta.use_key_lookups' own rule against the smallest target: it turns lookups off for a large
  // scope (and leaves them on for a small one); the step's values come back after the scan.
  await client.query(
    `select meta.use_key_lookups(coalesce($2::bigint, (select count(*) from ${table} t where ${scope})),
                                 (select c.oid::regclass from pg_class c where c.oid = any($1::regclass[]) order by greatest(c.reltuples, 0) limit 1))`,
    [targets, scopeRows ?? null],
  );
  return () => setLocalSettings(client, before);
}

/** The table's columns of an integer type (int2, int4, int8). */
async function integerColumns(client: pg.ClientBase, schema: string, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `select attname as name from pg_attribute
      where attrelid = to_regclass($1) and attnum > 0 and not attisdropped and atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`,
    [`${schema}.${table}`],
  );
  return new Set(rows.map((r) => r.name));
}

/** Column sets (sorted, comma-joined) of the table's unique indexes without a predicate. */
async function uniqueIndexes(client: pg.ClientBase, schema: string, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ cols: string }>(
    `select string_agg(a.attname, ',' order by a.attname) as cols
       from pg_index i
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = to_regclass($1) and i.indisunique and i.indpred is null
      group by i.indexrelid`,
    [`${schema}.${table}`],
  );
  return new Set(rows.map((r) => r.cols));
}

/**
 * Scores the rows that failed at least one row-level rule: checks passed ÷ checks, with the names
 * of the rules they failed. Rows that passed every rule are not written (their score is 1).
 */
async function storeRowScores(
  client: pg.ClientBase,
  layer: string,
  model: string,
  from: string,
  scope: string,
  keyJson: string,
  rules: Exclude<Expectation, { rule: 'conservation' }>[],
  predicates: string[],
  params: Params,
  anyFailed: boolean,
): Promise<void> {
  if (!anyFailed || rules.length === 0) return;
  const n = rules.length;
  const passedSum = predicates.map((p) => `(${p})::int`).join(' + ');
  const failedNames = predicates.map((p, i) => `case when not ${p} then ${params.add(ruleName(rules[i]!))}::text end`).join(', ');
  const l = params.add(layer);
  const m = params.add(model);
  await client.query(
    `insert into meta.row_scores (run_id, layer, model, row_key, checks_passed, checks_total, score, failed_rules)
     select meta.ctx_run_id(), ${l}, ${m}, k, passed, ${n}, round(passed::numeric / ${n}, 3), failed
       from (select ${keyJson} as k, ${passedSum} as passed, array_remove(array[${failedNames}], null) as failed
               from ${from} where ${scope}) r
      where passed < ${n}
     on conflict (run_id, layer, model, row_key) do update
       set checks_passed = excluded.checks_passed, checks_total = excluded.checks_total, score = excluded.score, failed_rules = excluded.failed_rules`,
    params.values,
  );
}
