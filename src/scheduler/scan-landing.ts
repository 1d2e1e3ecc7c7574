import { RETAIL_SOURCES } from '../contracts/retail';
import { discoverFiles } from '../pipeline/discover';
import { sha256File } from '../pipeline/sha256-file';
import { startRun } from '../pipeline/start-run';
import type { Runtime } from '../runtime';

/** Serialises scans: two ticks (from two scheduler processes) never register the same file twice. */
const SCAN_LOCK = 727_200;

export interface ScanResult {
  /** The run started for the new files, or null when there was nothing new. */
  runId: number | null;
  newFiles: number;
}

/**
 * One scheduler tick: looks in the landing folder for files whose content (sha256) MetaLayer has
 * never registered, and starts one run for them. A tick that finds nothing new creates no run,
 * so a frequent schedule does not fill meta.runs with no-ops. Files of an unfinished run are not
 * picked up again (they are known); `metalayer retry` finishes that run.
 */
export async function scanLanding(rt: Runtime, inputDir: string, asOf: string): Promise<ScanResult> {
  const client = await rt.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1, hashtext($2))', [SCAN_LOCK, inputDir]);
    try {
      const found = discoverFiles(inputDir, RETAIL_SOURCES, (file, why) => rt.logger.warn({ file }, `skipped ${file}: ${why}`));
      const hashes = await Promise.all(found.map((f) => sha256File(f.path)));
      const known = await client.query<{ sha256: string }>('select sha256 from meta.files where sha256 = any($1)', [hashes]);
      const knownSet = new Set(known.rows.map((r) => r.sha256));
      const newFiles = hashes.filter((h) => !knownSet.has(h)).length;
      if (newFiles === 0) return { runId: null, newFiles: 0 };
      const started = await startRun(rt, { inputDir, asOf });
      return { runId: started.runId, newFiles };
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [SCAN_LOCK, inputDir]);
    }
  } finally {
    client.release();
  }
}
