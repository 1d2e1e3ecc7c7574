import cliProgress from 'cli-progress';
import { SILVER_ENTITIES } from '../contracts/retail';
import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';

export interface ProgressWatch {
  stop(): Promise<void>;
}

/** Progress bars only on a terminal; piped or --json output stays clean. */
export function wantsProgress(json: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): boolean {
  return !json && stream.isTTY === true && process.env.CI === undefined;
}

/**
 * Draws one bar on stderr for a run: bronze chunks loaded, then silver steps and gold, read from
 * the ledger every half second (the same view from any process, whoever does the work).
 */
export function watchRunProgress(pool: Pool, runId: number): ProgressWatch {
  const bar = new cliProgress.SingleBar(
    { format: `run ${runId} |{bar}| {percentage}% · bronze {chunks} chunks · silver {silver}/${SILVER_ENTITIES.length} · gold {gold}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const { rows } = await pool.query<{ chunks_loaded: number; chunks: number; silver_done: number; gold_done: number }>(loadSql('queries/run_progress.sql'), [runId]);
      const p = rows[0]!;
      // Weights: a chunk counts 1, a silver step 2, gold 1 — roughly their share of a day's work.
      const total = p.chunks + SILVER_ENTITIES.length * 2 + 1;
      const value = p.chunks_loaded + p.silver_done * 2 + p.gold_done;
      const payload = { chunks: `${p.chunks_loaded}/${p.chunks}`, silver: p.silver_done, gold: p.gold_done > 0 ? 'done' : 'pending' };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    } catch {
      // Progress is cosmetic: a failed poll must not disturb the run.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 500);
  void tick();
  return {
    async stop() {
      clearInterval(timer);
      await tick();
      if (started) bar.stop();
    },
  };
}
