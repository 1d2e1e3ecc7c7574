import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';
import { buildSummary } from '../pipeline/summary';
import { lineageOf, SILVER_KEYS } from './lineage';

const RunId = z.coerce.number().int().positive();
const Limit = z.coerce.number().int().min(1).max(500).default(20);

/** Sends a 400 naming the bad parameter; query strings are unknown until zod parses them. */
function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: message });
}

async function latestRunId(pool: Pool): Promise<number | null> {
  const { rows } = await pool.query<{ id: number | null }>('select max(run_id)::int as id from meta.runs');
  return rows[0]?.id ?? null;
}

/** The read API: runs, one run in detail, quality results and lineage. Read-only by design. */
export function createApiRouter(pool: Pool): Router {
  const api = Router();

  api.get('/runs', async (req: Request, res: Response) => {
    const limit = Limit.safeParse(req.query.limit);
    if (!limit.success) return badRequest(res, 'limit must be an integer from 1 to 500');
    const { rows } = await pool.query(loadSql('queries/api/runs_list.sql'), [limit.data]);
    res.json({ runs: rows });
  });

  api.get('/runs/:id', async (req: Request, res: Response) => {
    const id = RunId.safeParse(req.params.id);
    if (!id.success) return badRequest(res, 'the run id must be a positive integer');
    const summary = await buildSummary(pool, id.data);
    if (!summary) return void res.status(404).json({ error: `run ${id.data} does not exist` });
    const [chunks, steps] = await Promise.all([
      pool.query(loadSql('queries/api/run_chunks.sql'), [id.data]),
      pool.query(
        'select layer, step, status, rows, ms, attempts, error, started_at, finished_at from meta.steps where run_id = $1 order by started_at',
        [id.data],
      ),
    ]);
    res.json({ ...summary, chunks: chunks.rows, steps: steps.rows });
  });

  api.get('/quality', async (req: Request, res: Response) => {
    const requested = req.query.run === undefined ? null : RunId.safeParse(req.query.run);
    if (requested && !requested.success) return badRequest(res, 'run must be a positive integer');
    const runId = requested?.data ?? (await latestRunId(pool));
    if (runId === null) return void res.json({ runId: null, checks: [], rejects: [], rowQuality: [] });
    const [checks, rejects, rowQuality, expectations, scores] = await Promise.all([
      pool.query('select name, passed, detail from meta.checks where run_id = $1 order by name', [runId]),
      pool.query(loadSql('queries/api/quality_rejects.sql'), [runId]),
      pool.query(loadSql('queries/api/quality_rows.sql')),
      pool.query(loadSql('queries/quality_report.sql'), [runId]),
      pool.query('select layer, model, rows_checked, rows_passed, score::float8 as score from meta.quality_scores where run_id = $1 order by layer, model', [runId]),
    ]);
    res.json({ runId, checks: checks.rows, expectations: expectations.rows, scores: scores.rows, rejects: rejects.rows, rowQuality: rowQuality.rows });
  });

  api.get('/lineage', async (req: Request, res: Response) => {
    const entity = z.string().regex(/^[a-z_]+$/).safeParse(req.query.entity);
    if (!entity.success || !(entity.data in SILVER_KEYS)) {
      return badRequest(res, `entity must be one of ${Object.keys(SILVER_KEYS).join(', ')}`);
    }
    const key: Record<string, string> = {};
    for (const c of SILVER_KEYS[entity.data]!) if (typeof req.query[c] === 'string') key[c] = req.query[c];
    try {
      const lineage = await lineageOf(pool, entity.data, key);
      if (!lineage) return void res.status(404).json({ error: `no ${entity.data} row with ${JSON.stringify(key)}` });
      res.json(lineage);
    } catch (err) {
      if (err instanceof RangeError) return badRequest(res, err.message);
      throw err;
    }
  });

  return api;
}
