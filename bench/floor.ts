/**
 * The floor of a first load: what the spec's silver and gold transformations alone cost
 * PostgreSQL on this machine, as bare statements (sql/bench/floor_first_load.sql) over the
 * baseline's text tables, one at a time, each with the planner settings of MetaLayer's steps
 * (parallel plans where PostgreSQL makes them). No lineage, rejects, checks, relays or
 * bookkeeping: a lower bound for MetaLayer's run, not a competitor that does the same job. With
 * the cheaper bronze load of the run it says how many core-seconds any implementation of the
 * pipeline needs here, and so the shortest wall time the machine's cores allow (bench/run.ts
 * prints it beside MetaLayer's run). A floor is only as good as its statements: each is written
 * as MetaLayer's SQL writes it where that matters (a value parsed once, fresh statistics before a
 * join), so that it measures the work and not a worse plan.
 */
import pg from 'pg';
import { DEFAULTS } from '../src/config/defaults';
import { setRunContext } from '../src/db/run-context';
import { setLocalSettings } from '../src/db/settings';
import { applyStepSettings } from '../src/pipeline/steps';
import { applyWholeAggregateSettings, applyWholeLoadSettings } from '../src/pipeline/whole-load-settings';
import { machineCpuSeconds } from './processes';
import { quiesce, sqlStatements } from './setup';

export interface FloorStatement {
  /** The statement's first words. */
  label: string;
  seconds: number;
  /** The machine's busy core-seconds while it ran (its parallel workers included). */
  coreSeconds: number;
}

export interface Floor {
  statements: FloorStatement[];
  seconds: number;
  coreSeconds: number;
}

/**
 * The floor's statements that write a table of every order line, as MetaLayer's whole loads do
 * (src/pipeline/whole-load-settings.ts): its silver order lines and its facts.
 */
export function isWholeLoad(sql: string): boolean {
  return /^create table bench_floor\.(sales|fact_sales) as/m.test(sql);
}

/**
 * The floor's index builds on its facts, which MetaLayer's first load runs side by side without
 * parallel workers (src/pipeline/fact-load.ts: fewer core-seconds than one after another with
 * them): the floor builds them without workers too, so that its core-seconds stay a bound.
 */
export function isFactIndexBuild(sql: string): boolean {
  return /^(alter table bench_floor\.fact_sales add primary key|create index on bench_floor\.fact_sales )/m.test(sql);
}

/** The floor's four aggregates, which MetaLayer's first load runs without parallel workers (applyWholeAggregateSettings). */
export function isWholeAggregate(sql: string): boolean {
  return /^create table bench_floor\.(agg_daily_sales|agg_monthly_sales|customer_sales|product_sales) as/m.test(sql);
}

/** The floor's statements, in order. */
export function floorStatements(): string[] {
  return sqlStatements('bench/floor_first_load.sql');
}

/**
 * Runs the floor's statements on `url`: the baseline's database, its text tables loaded
 * (bench/baseline.ts) and migrated (`metalayer migrate`: the cleaning functions and the
 * calendar). Each statement commits alone. The schema they build (bench_floor) is dropped at the
 * end unless `opts.keep` (tests/integration/bench-floor.test.ts reads it).
 */
export async function measureFloor(url: string, asOf: string, opts: { keep?: boolean } = {}): Promise<Floor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await quiesce(client); // from the same state as each load
    const statements: FloorStatement[] = [];
    for (const sql of floorStatements()) {
      await client.query('begin');
      await applyStepSettings(client, DEFAULTS.stepWorkMem, 'gold');
      // The order lines, the facts and the aggregates with the settings of MetaLayer's first load.
      if (isWholeLoad(sql)) await applyWholeLoadSettings(client);
      if (isWholeAggregate(sql)) await applyWholeAggregateSettings(client);
      if (isFactIndexBuild(sql)) await setLocalSettings(client, { max_parallel_maintenance_workers: '0' });
      await setRunContext(client, { runId: 0, asOf });
      const busy = machineCpuSeconds().busy;
      const started = performance.now();
      await client.query(sql);
      await client.query('commit');
      statements.push({
        label: sql.split('\n', 1)[0]!.slice(0, 80),
        seconds: (performance.now() - started) / 1000,
        coreSeconds: machineCpuSeconds().busy - busy,
      });
    }
    if (!opts.keep) await client.query('drop schema if exists bench_floor cascade');
    const sum = (k: 'seconds' | 'coreSeconds') => statements.reduce((n, s) => n + s[k], 0);
    return { statements, seconds: sum('seconds'), coreSeconds: sum('coreSeconds') };
  } finally {
    await client.end();
  }
}
