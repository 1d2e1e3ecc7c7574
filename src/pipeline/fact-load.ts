import type pg from 'pg';
import { runScript, runScriptResults } from './run-script';
import { applyWholeLoadSettings } from './whole-load-settings';

export interface FactLoad {
  /** 'swap': an empty fact table's partition built whole and attached (migration 031); 'upsert': sql/gold/fact_sales.sql. */
  path: 'swap' | 'upsert';
  /**
   * On the swap path: the model built whole (empty before), the silver table its view reads by
   * the run, and the rows it wrote (what the conservation rule can be proven by).
   */
  wholeLoad?: { model: 'fact_sales'; from: 'sales'; loaded: number };
}

/**
 * The fact-table part of the facts step, on `client` inside its transaction (run context set):
 * sql/gold/fact_changes.sql, sql/gold/dim_date.sql, then the facts, then
 * sql/gold/fact_late_customers.sql.
 *
 * An empty fact table (a first load, a backfill) is built whole (sql/gold/fact_sales_first_load.sql):
 * CREATE TABLE AS of meta.run_fact_image (migration 015), whose read may run in parallel (the
 * step's process only writes: src/pipeline/whole-load-settings.ts), attached
 * as the fact table's partition, which builds its key and indexes. With facts already there,
 * sql/gold/fact_sales.sql updates and inserts; both paths give the same facts
 * (tests/integration/fact-load.test.ts). `opts.whole: false` takes the upsert path always.
 */
export async function loadFacts(client: pg.ClientBase, opts: { whole?: boolean } = {}): Promise<FactLoad> {
  const label = 'gold model fact_sales';
  const changes = await runScript(client, 'gold/fact_changes.sql', label);
  // The date dimension before the facts, which take their date keys from it (migration 035): it
  // needs only fact_changes.sql's span of the run's dates.
  await runScript(client, 'gold/dim_date.sql', 'gold model dim_date');
  let loaded: number | undefined;
  if (opts.whole !== false && changes?.facts_before === false) {
    const restore = await applyWholeLoadSettings(client);
    const [created] = await runScriptResults(client, 'gold/fact_sales_first_load.sql', label);
    await restore();
    loaded = created!.rowCount ?? 0;
  } else {
    await runScript(client, 'gold/fact_sales.sql', label);
  }
  await runScript(client, 'gold/fact_late_customers.sql', label);
  return loaded === undefined ? { path: 'upsert' } : { path: 'swap', wholeLoad: { model: 'fact_sales', from: 'sales', loaded } };
}

/**
 * The run's order lines in silver, as sql/gold/fact_changes.sql counted them (its changed_span),
 * in the facts step's transaction after loadFacts: the step's row count, and what a fact table
 * built whole is counted against (src/quality/runner.ts).
 */
export async function runSilverLines(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: number }>('select lines::int as n from changed_span');
  return rows[0]?.n ?? 0;
}
