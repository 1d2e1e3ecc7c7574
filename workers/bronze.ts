import { withTransaction } from '../src/db/pool';
import { sourceByName } from '../src/contracts/retail';
import { ConfigError } from '../src/errors/config-error';
import { loadChunk, type ChunkResult } from '../src/ingest/bronze-loader';
import { assertUnchanged } from '../src/ingest/file-stability';
import { replayBronzeRejects, type ReplayResult } from '../src/ingest/replay-rejects';
import { BronzeJobPayload } from '../src/queue/payloads';
import type { JobKind } from './job-kind';

type BronzeResult = (ChunkResult & { source: string }) | (ReplayResult & { source: string; replay: true });

/** Loads one chunk of one file into bronze (see src/ingest/bronze-loader.ts), or replays a file's rejects. */
export const bronzeJob: JobKind<typeof BronzeJobPayload, BronzeResult> = {
  queue: 'bronze',
  schema: BronzeJobPayload,
  async handler(rt, p) {
    if ('replay' in p) {
      const source = (await rt.pool.query('select source from meta.files where file_id = $1', [p.fileId])).rows[0]?.source as string | undefined;
      if (!source) throw new ConfigError(`file ${p.fileId} is not in meta.files`);
      const replayed = await withTransaction(rt.pool, (client) => replayBronzeRejects(client, p.runId, p.fileId, rt.config.maxRecordBytes));
      return { ...replayed, source, replay: true as const };
    }
    const { rows } = await rt.pool.query(
      `select f.path, f.source, f.columns, f.header, f.size_bytes, extract(epoch from f.modified_at) * 1000 as modified_ms,
              c.byte_start, c.byte_end, c.first_line, c.records, c.needs_row_path
         from meta.files f join meta.chunks c on c.file_id = f.file_id
        where f.file_id = $1 and c.chunk_index = $2`,
      [p.fileId, p.chunkIndex],
    );
    const row = rows[0];
    if (!row) throw new ConfigError(`chunk ${p.chunkIndex} of file ${p.fileId} is not in meta.chunks`);
    if (!sourceByName(row.source)) throw new ConfigError(`file ${p.fileId} has unknown source ${row.source}`);
    // The chunk's offsets belong to the planned version of the file: after reading, before the
    // commit, the file must still be that version (a skipped, already loaded chunk reads nothing).
    const planned = row.modified_ms === null ? null : { size: Number(row.size_bytes), modifiedMs: Number(row.modified_ms) };
    const result = await withTransaction(rt.pool, async (client) => {
      const loaded = await loadChunk(
        client,
        { runId: p.runId, fileId: p.fileId, chunkIndex: p.chunkIndex },
        { path: row.path, source: row.source, columns: row.columns, header: row.header },
        { start: row.byte_start, end: row.byte_end, firstLine: row.first_line, records: row.records, needsRowPath: row.needs_row_path },
        rt.config.maxRecordBytes,
      );
      if (planned && !loaded.skipped) await assertUnchanged(row.path, planned, `since chunk ${p.chunkIndex} was planned`);
      return loaded;
    });
    return { ...result, source: row.source as string };
  },
  rowCounts: (result) => {
    if ('replay' in result) return [{ source: result.source, layer: 'bronze', outcome: 'loaded', n: result.loaded }];
    return [
      { source: result.source, layer: 'bronze', outcome: 'read', n: result.rowsRead },
      { source: result.source, layer: 'bronze', outcome: 'loaded', n: result.rowsLoaded },
      { source: result.source, layer: 'bronze', outcome: 'rejected', n: result.rowsRejected },
    ];
  },
};
