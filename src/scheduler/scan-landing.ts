import { RETAIL_SOURCES } from '../contracts/retail';
import { fileVersion } from '../ingest/file-stability';
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
      // Files left in the landing folder are seen by every tick: one registered with the same
      // path, size and mtime is known without reading it again; only the others are hashed.
      const registered = await client.query<{ path: string; size_bytes: number; modified_ms: number | null }>(
        `select path, size_bytes, extract(epoch from modified_at) * 1000 as modified_ms from meta.files where path = any($1)`,
        [found.map((f) => f.path)],
      );
      const byPath = new Map(registered.rows.map((r) => [r.path, r]));
      const unchanged = new Set<string>();
      for (const f of found) {
        const r = byPath.get(f.path);
        if (!r || r.modified_ms === null) continue;
        const v = await fileVersion(f.path);
        if (Number(r.size_bytes) === v.size && Math.abs(Number(r.modified_ms) - v.modifiedMs) < 1) unchanged.add(f.path);
      }
      const hashes = await Promise.all(found.filter((f) => !unchanged.has(f.path)).map((f) => sha256File(f.path)));
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
