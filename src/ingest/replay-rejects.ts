import type pg from 'pg';
import { ConfigError } from '../errors/config-error';
import { bronzeCopySql } from './bronze-copy-sql';
import { bronzeTarget } from './bronze-target';
import { checkRecord, rowSchema } from './record-check';
import { RecordKind } from './record-scanner';
import { copyIsolating, serialize, type GoodRow, type Reject } from './row-path';

export interface ReplayResult {
  replayed: number;
  loaded: number;
  stillRejected: number;
}

/**
 * Sends a file's bronze rejects of a run through the structural checks and COPY again, with their
 * original lineage (run, file, line). Loaded ones leave the quarantine and move from "rejected" to
 * "loaded" in their chunk's ledger row, so read = loaded + rejected still holds; the others stay,
 * with today's reason. Runs inside the caller's transaction.
 */
export async function replayBronzeRejects(client: pg.ClientBase, runId: number, fileId: number, maxRecordBytes?: number): Promise<ReplayResult> {
  const f = (await client.query('select source, columns, header from meta.files where file_id = $1', [fileId])).rows[0];
  if (!f) throw new ConfigError(`file ${fileId} is not in meta.files`);
  const rejects = (
    await client.query<{ reject_id: number; line: number; raw: Buffer }>(
      `select reject_id, line, raw from quarantine.rejects where run_id = $1 and file_id = $2 and stage = 'bronze' order by line for update`,
      [runId, fileId],
    )
  ).rows;
  const columns = f.columns as (string | null)[];
  const header = f.header as string[];
  const known = columns.filter((c): c is string => c !== null);
  const extras = columns.flatMap((c, index) => (c === null ? [{ index, name: header[index]!.trim() }] : []));
  const copySql = bronzeCopySql(await bronzeTarget(client, f.source, fileId), known, extras.some((e) => e.name !== ''));
  const schema = rowSchema(columns.length);
  const head = `${runId},${fileId},`;
  const good: GoodRow[] = [];
  const still: Reject[] = [];
  for (const r of rejects) {
    const raw = r.raw ?? Buffer.alloc(0);
    const verdict = checkRecord({ line: r.line, bytes: raw, kind: RecordKind.Data, unclosedQuote: false, badQuotes: true }, schema, columns.length, maxRecordBytes);
    if (!verdict.ok) still.push({ line: r.line, reason: verdict.reason, raw });
    else good.push({ line: r.line, csv: serialize(`${head}${r.line}`, verdict.fields, extras), raw });
  }
  const refused: Reject[] = [];
  const loaded = await copyIsolating(client, copySql, good, refused);
  still.push(...refused);
  const stillLines = new Set(still.map((s) => s.line));
  const loadedLines = rejects.map((r) => r.line).filter((l) => !stillLines.has(l));
  if (loadedLines.length > 0) {
    await client.query(`delete from quarantine.rejects where run_id = $1 and file_id = $2 and stage = 'bronze' and line = any($3::bigint[])`, [runId, fileId, loadedLines]);
    // Each loaded line moves from rejected to loaded in the ledger row of the chunk that holds it.
    await client.query(
      `update meta.chunks c set rows_loaded = c.rows_loaded + m.n, rows_rejected = c.rows_rejected - m.n
         from (select (select max(chunk_index) from meta.chunks k where k.file_id = $1 and k.first_line <= l) as chunk_index, count(*) as n
                 from unnest($2::bigint[]) as l group by 1) m
        where c.file_id = $1 and c.chunk_index = m.chunk_index`,
      [fileId, loadedLines],
    );
  }
  for (const s of still) {
    await client.query(`update quarantine.rejects set reason = $4 where run_id = $1 and file_id = $2 and stage = 'bronze' and line = $3`, [runId, fileId, s.line, s.reason]);
  }
  return { replayed: rejects.length, loaded, stillRejected: still.length };
}
