import express, { type NextFunction, type Request, type Response } from 'express';
import { redact } from '../errors/redact';
import { createServerRegistry } from '../metrics/metrics';
import { readPipelineSnapshot } from '../metrics/read-pipeline';
import { createQueueReader } from '../metrics/read-queues';
import { createRedis } from '../queue/connection';
import type { Runtime } from '../runtime';
import { createApiRouter } from './api';
import { authenticate } from './auth';
import { BOARD_PATH, createBoard } from './bull-board';
import { checkHealth } from './health';

export interface ServerApp {
  app: express.Express;
  close(): Promise<void>;
}

/**
 * The server's routes. Open: /healthz (for orchestrators) and /metrics (for Prometheus; it holds
 * counts, never row data). Behind the login: Bull Board at /admin/queues and the read API at /api.
 */
export function createServerApp(rt: Runtime): ServerApp {
  const redis = createRedis(rt.config.redisUrl);
  const board = createBoard(redis, rt.config.queuePrefix);
  const queues = createQueueReader(rt.config.redisUrl, rt.config.queuePrefix);
  const registry = createServerRegistry({
    queues: () => queues.snapshot(),
    pipeline: () => readPipelineSnapshot(rt.pool),
    onError: (source, err) => rt.logger.warn({ err, source }, 'metrics: could not read figures; scrape continues without them'),
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    const health = await checkHealth(rt.pool, redis);
    res.status(health.ok ? 200 : 503).json(health);
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  const auth = authenticate(rt.config.users);
  app.use(BOARD_PATH, auth, board.router);
  app.use('/api', auth, createApiRouter(rt.pool));
  app.get('/', (_req, res) => res.redirect(BOARD_PATH));
  app.use((err: Error, req: Request, res: Response, _next: NextFunction) => {
    rt.logger.error({ err, path: req.path }, 'request failed');
    res.status(500).json({ error: redact(err.message) });
  });
  return {
    app,
    async close() {
      await board.close();
      await queues.close();
      redis.disconnect();
    },
  };
}
