import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import { mapHeader } from '../contracts/header';
import { ContractError } from '../errors/contract-error';
import { planFile, type FilePlan } from '../ingest/file-plan';
import type { FoundFile } from './discover';
import { sha256File } from './sha256-file';

export type FileRole = 'load' | 'skip' | 'refused';

export interface RegisteredFile {
  fileId: number;
  source: string;
  entity: string;
  path: string;
  role: FileRole;
  /** Chunks still to load (for role 'load'). */
  pendingChunks: number[];
  error?: string;
  extras: string[];
}

/**
 * Fingerprints and plans one file and records it for the run. A file whose content (sha256) is
 * already fully loaded is skipped; one left unfinished by an earlier run is resumed (only its
 * pending chunks are loaded); one whose header breaks the contract is refused with the reason.
 */
export async function registerFile(pool: Pool, runId: number, found: FoundFile, limits: { chunkBytes: number; maxRecordBytes: number }): Promise<RegisteredFile> {
  let plan: FilePlan | null = null;
  let refusal: string | null = null;
  let columns: (string | null)[] | null = null;
  let extras: string[] = [];
  try {
    plan = await planFile(found.path, limits.chunkBytes, limits.maxRecordBytes);
    const mapping = mapHeader(found.source, plan.header, found.path);
    columns = mapping.columns;
    extras = mapping.extras;
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    refusal = err.message;
  }
  const sha = plan?.sha256 ?? (await sha256File(found.path));
  return withTransaction(pool, async (client) => {
    const inserted = await client.query<{ file_id: number }>(
      `insert into meta.files (source, path, sha256, size_bytes, compressed, header, columns, extras, status, error,
                               rows_planned, registered_by_run, modified_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13::float8 / 1000))
       on conflict (sha256) do nothing
       returning file_id`,
      [
        found.source.name,
        found.path,
        sha,
        plan?.size ?? 0,
        plan?.compressed ?? false,
        plan ? JSON.stringify(plan.header) : null,
        columns ? JSON.stringify(columns) : null,
        extras,
        refusal ? 'refused' : 'pending',
        refusal,
        plan?.records ?? 0,
        runId,
        plan?.modifiedMs ?? null,
      ],
    );
    let fileId: number;
    if (inserted.rowCount === 1) {
      fileId = inserted.rows[0]!.file_id;
      if (plan && !refusal) {
        // The file's own bronze partition, ready before any chunk is queued (migration 023).
        await client.query('select meta.add_bronze_partition($1, $2)', [found.source.name, fileId]);
        for (const c of plan.chunks) {
          await client.query(
            `insert into meta.chunks (file_id, chunk_index, byte_start, byte_end, first_line, records, needs_row_path)
             values ($1, $2, $3, $4, $5, $6, $7)`,
            [fileId, c.index, c.start, c.end, c.firstLine, c.records, c.needsRowPath],
          );
        }
      }
    } else {
      const existing = await client.query<{ file_id: number; status: string; error: string | null; extras: string[] }>(
        'select file_id, status, error, extras from meta.files where sha256 = $1',
        [sha],
      );
      const row = existing.rows[0]!;
      fileId = row.file_id;
      refusal = row.status === 'refused' ? (row.error ?? 'refused') : null;
      extras = row.extras;
    }
    const status = await client.query<{ chunk_index: number }>(
      `select chunk_index from meta.chunks where file_id = $1 and status = 'pending' order by chunk_index`,
      [fileId],
    );
    const pendingChunks = status.rows.map((r) => r.chunk_index);
    const loadedBefore = await client.query(`select 1 from meta.files where file_id = $1 and status = 'loaded'`, [fileId]);
    const role: FileRole = refusal ? 'refused' : loadedBefore.rowCount === 1 ? 'skip' : 'load';
    await client.query('insert into meta.run_files (run_id, file_id, role) values ($1, $2, $3) on conflict do nothing', [
      runId,
      fileId,
      role,
    ]);
    return {
      fileId,
      source: found.source.name,
      entity: found.source.entity,
      path: found.path,
      role,
      pendingChunks: role === 'load' ? pendingChunks : [],
      ...(refusal ? { error: refusal } : {}),
      extras,
    };
  });
}
