import { DIMENSION_INPUTS, RETAIL_SOURCES, SILVER_ENTITIES } from '../contracts/retail';
import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';
import { silverOrder, type SilverReferences } from '../queue/flow';

export interface RunReadiness {
  /** Chunks not yet loaded, per source, among the files this run loads. */
  pendingChunks: Map<string, number>;
  /** All chunks, per source, of the files this run loads. */
  chunks: Map<string, number>;
  /** Silver entities whose step succeeded in this run. */
  silverDone: Set<string>;
  /** Silver entities whose step has started in this run (any status). */
  silverStarted: Set<string>;
}

/**
 * What the ledger and meta.steps say about a run. Silver and gold trust these tables, not the
 * job graph: a job can be retried by hand (Bull Board) in any order, and must not run on
 * incomplete input.
 */
export async function readRunReadiness(pool: Pool, runId: number): Promise<RunReadiness> {
  const [chunks, steps] = await Promise.all([
    pool.query<{ source: string; chunks: number; pending_chunks: number }>(loadSql('queries/run_readiness.sql'), [runId]),
    pool.query<{ step: string; status: string }>(`select step, status from meta.steps where run_id = $1 and layer = 'silver'`, [runId]),
  ]);
  return {
    pendingChunks: new Map(chunks.rows.map((r) => [r.source, r.pending_chunks])),
    chunks: new Map(chunks.rows.map((r) => [r.source, r.chunks])),
    silverDone: new Set(steps.rows.filter((r) => r.status === 'succeeded').map((r) => r.step)),
    silverStarted: new Set(steps.rows.map((r) => r.step)),
  };
}

export function silverIsReady(r: RunReadiness, entity: string): boolean {
  const source = RETAIL_SOURCES.find((s) => s.entity === entity);
  return source !== undefined && (r.pendingChunks.get(source.name) ?? 0) === 0;
}

/**
 * A silver entity of the run that is bigger than `entity` (more chunks; the order of the flow's
 * priorities), whose chunks are all loaded and whose step has not started, if any. Silver steps
 * start biggest first among those ready: the queue's priorities alone leave a race when a small
 * step looks again a moment before the bigger step's job is released. A bigger step whose bronze
 * still loads holds nobody back: the small sources load first (bronzePriorities in
 * src/queue/flow.ts), and their steps and the gold dimensions run beside the big source's bronze.
 */
export function biggerSilverNotStarted(r: RunReadiness, entity: string, references?: SilverReferences): string | undefined {
  for (const e of runSilverOrder(r, references)) {
    if (e.entity === entity) return undefined;
    if (!r.silverStarted.has(e.entity) && silverIsReady(r, e.entity)) return e.entity;
  }
  return undefined;
}

/**
 * A silver entity of the run that `entity`'s relationship expectations read and whose step has
 * not succeeded yet: checked now, every row would fail the rule (and be scored so). Only one
 * ordered before `entity` counts: in a cycle of references the first never waits for the last.
 */
export function referencedSilverNotDone(r: RunReadiness, entity: string, references?: SilverReferences): string | undefined {
  const order = runSilverOrder(r, references).map((e) => e.entity);
  const mine = order.indexOf(entity);
  return (references?.get(entity) ?? []).find((e) => {
    const at = order.indexOf(e);
    return at >= 0 && at < mine && !r.silverDone.has(e);
  });
}

/** The run's silver entities (those it loads chunks for) in the order their steps should start. */
function runSilverOrder(r: RunReadiness, references?: SilverReferences): { entity: string; chunks: number }[] {
  const entities = RETAIL_SOURCES.filter((s) => r.chunks.has(s.name)).map((s) => ({ entity: s.entity, chunks: r.chunks.get(s.name)! }));
  return silverOrder(entities, references);
}

export async function runIsRunning(pool: Pool, runId: number): Promise<boolean> {
  const { rows } = await pool.query<{ status: string }>('select status from meta.runs where run_id = $1', [runId]);
  return rows[0]?.status === 'running';
}

export function goldIsReady(r: RunReadiness): boolean {
  return SILVER_ENTITIES.every((e) => r.silverDone.has(e));
}

export function dimensionsAreReady(r: RunReadiness): boolean {
  return DIMENSION_INPUTS.every((e) => r.silverDone.has(e));
}

/** The error text an operator reads when a step was started before its input was complete. */
export function notReadyMessage(runId: number, what: string, r: RunReadiness): string {
  const pending = [...r.pendingChunks].filter(([, n]) => n > 0).map(([s, n]) => `${s}: ${n} chunk(s) not loaded`);
  const silver = SILVER_ENTITIES.filter((e) => !r.silverDone.has(e)).map((e) => `silver ${e} not done`);
  return `${what} of run ${runId} cannot start: its input is incomplete (${[...pending, ...silver].join('; ')}). Retry the failed job below it, or run \`metalayer retry --run ${runId}\`.`;
}
