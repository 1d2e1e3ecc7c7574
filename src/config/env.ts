import { z } from 'zod';
import { DEFAULTS } from './defaults';
import { ConfigError } from '../errors/config-error';

/** Environment, parsed once by zod into a typed object; unknown until parsed. */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().default(DEFAULTS.databaseUrl),
  // redis://… for one server, or redis-cluster://host:port,host:port for a Redis Cluster's seed nodes.
  REDIS_URL: z
    .string()
    .refine((v) => /^redis-cluster:\/\/[^/\s]+:\d+(,[^/\s]+:\d+)*\/?$/.test(v) || z.string().url().safeParse(v).success, 'a redis:// URL or redis-cluster://host:port,host:port')
    .default(DEFAULTS.redisUrl),
  METALAYER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}:.-]{1,64}$/, 'letters, digits and _{}:.- only, at most 64 characters')
    .default(DEFAULTS.queuePrefix),
  METALAYER_CHUNK_BYTES: z.coerce.number().int().min(1024).default(DEFAULTS.chunkBytes),
  METALAYER_MAX_RECORD_BYTES: z.coerce.number().int().min(1024).default(DEFAULTS.maxRecordBytes),
  METALAYER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(DEFAULTS.workerConcurrency),
  METALAYER_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(DEFAULTS.poolSize),
  METALAYER_LOCK_MS: z.coerce.number().int().min(1000).default(DEFAULTS.lockMs),
  METALAYER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(DEFAULTS.shutdownGraceMs),
  METALAYER_JOB_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(DEFAULTS.job.attempts),
  METALAYER_BACKOFF_MS: z.coerce.number().int().min(0).default(DEFAULTS.job.backoff.delay),
  METALAYER_STEP_WORK_MEM: z.string().regex(/^\d+(kB|MB|GB)$/, 'e.g. 256MB').default(DEFAULTS.stepWorkMem),
  METALAYER_SALES_READ_WORKERS: z.coerce.number().int().min(0).max(64).default(DEFAULTS.salesReadWorkers),
  METALAYER_FACT_INDEX_LANES: z.coerce.number().int().min(1).max(16).default(DEFAULTS.factIndexLanes),
  METALAYER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULTS.workerMetricsPort),
  METALAYER_SERVER_PORT: z.coerce.number().int().min(1).max(65535).default(DEFAULTS.serverPort),
  METALAYER_ADMIN_USER: z.string().min(1).optional(),
  METALAYER_ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  METALAYER_VIEWER_USER: z.string().min(1).optional(),
  METALAYER_VIEWER_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  METALAYER_EXPECTATIONS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
});

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  chunkBytes: number;
  maxRecordBytes: number;
  concurrency: number;
  poolSize: number;
  shutdownGraceMs: number;
  lockMs: number;
  jobAttempts: number;
  backoffMs: number;
  stepWorkMem: string;
  salesReadWorkers: number;
  factIndexLanes: number;
  /** Port of a worker's /metrics (0: none). */
  workerMetricsPort: number;
  serverPort: number;
  /** Logins of `metalayer server`; none configured = no login, and the server binds to 127.0.0.1. */
  users: { name: string; password: string; role: 'admin' | 'viewer' }[];
  /** Where silver.yml and gold.yml expectations live, instead of sql/<layer>/expectations.yml. */
  expectationsDir?: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}

let cached: Config | undefined;

/** Parses the environment once and caches it; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}. Fix the variables (see config/.env.example).`);
  }
  const e = parsed.data;
  const users: Config['users'] = [];
  for (const [role, name, password] of [
    ['admin', e.METALAYER_ADMIN_USER, e.METALAYER_ADMIN_PASSWORD],
    ['viewer', e.METALAYER_VIEWER_USER, e.METALAYER_VIEWER_PASSWORD],
  ] as const) {
    const prefix = `METALAYER_${role.toUpperCase()}`;
    if ((name === undefined) !== (password === undefined)) throw new ConfigError(`invalid environment: set both ${prefix}_USER and ${prefix}_PASSWORD, or neither`);
    if (name !== undefined && password !== undefined) users.push({ name, password, role });
  }
  if (users.length > 0 && !users.some((u) => u.role === 'admin')) {
    throw new ConfigError('invalid environment: a viewer login needs an admin login too (METALAYER_ADMIN_USER and METALAYER_ADMIN_PASSWORD)');
  }
  if (users.length === 2 && users[0]!.name === users[1]!.name) throw new ConfigError('invalid environment: the admin and viewer users must differ');
  const config: Config = {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.METALAYER_PREFIX,
    chunkBytes: e.METALAYER_CHUNK_BYTES,
    maxRecordBytes: e.METALAYER_MAX_RECORD_BYTES,
    concurrency: e.METALAYER_CONCURRENCY,
    poolSize: e.METALAYER_POOL_SIZE,
    shutdownGraceMs: e.METALAYER_SHUTDOWN_GRACE_MS,
    lockMs: e.METALAYER_LOCK_MS,
    jobAttempts: e.METALAYER_JOB_ATTEMPTS,
    backoffMs: e.METALAYER_BACKOFF_MS,
    stepWorkMem: e.METALAYER_STEP_WORK_MEM,
    salesReadWorkers: e.METALAYER_SALES_READ_WORKERS,
    factIndexLanes: e.METALAYER_FACT_INDEX_LANES,
    workerMetricsPort: e.METALAYER_METRICS_PORT,
    serverPort: e.METALAYER_SERVER_PORT,
    users,
    ...(e.METALAYER_EXPECTATIONS_DIR ? { expectationsDir: e.METALAYER_EXPECTATIONS_DIR } : {}),
    logLevel: e.LOG_LEVEL,
  };
  if (env === process.env) cached = config;
  return config;
}

/** For tests that change process.env between cases. */
export function resetConfig(): void {
  cached = undefined;
}
