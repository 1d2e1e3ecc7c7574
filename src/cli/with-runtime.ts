import { loadConfig } from '../config/env';
import { migrate } from '../migrate/migrator';
import { openRuntime, type Runtime } from '../runtime';

/**
 * What most commands do around their work: parse the environment, bring the database up to date,
 * open a runtime with `poolSize` connections (or a size derived from the config), close it after.
 */
export async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>, poolSize: number | ((configured: number) => number) = 2): Promise<T> {
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const rt = openRuntime(config, { poolSize: typeof poolSize === 'number' ? poolSize : poolSize(config.poolSize) });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
