import type { Config } from './config/env';
import { createPool, type Pool } from './db/pool';
import { createLogger, type Logger } from './logger';

/** What every command and worker shares: the parsed config, a PostgreSQL pool and a logger. */
export interface Runtime {
  config: Config;
  pool: Pool;
  logger: Logger;
  close(): Promise<void>;
}

export function openRuntime(config: Config, opts: { poolSize?: number; logger?: Logger } = {}): Runtime {
  const pool = createPool(config.databaseUrl, opts.poolSize ?? config.poolSize);
  const logger = opts.logger ?? createLogger(config.logLevel);
  return {
    config,
    pool,
    logger,
    close: () => pool.end(),
  };
}
