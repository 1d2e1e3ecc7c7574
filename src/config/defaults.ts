/**
 * Every default MetaLayer uses, in one place. Environment variables override them
 * (see config/.env.example); the CLI overrides a few per command.
 */
export const DEFAULTS = {
  databaseUrl: 'postgres://127.0.0.1:5432/metalayer',
  redisUrl: 'redis://127.0.0.1:6379',
  /** Queue prefix. The braces are a Redis Cluster hash tag: every key of a queue lands in one slot. */
  queuePrefix: '{metalayer}',
  /** Bytes of CSV per bronze chunk; chunks are cut at record boundaries. */
  chunkBytes: 8 * 1024 * 1024,
  /** A record longer than this is quarantined, not loaded: a 10 MB "row" in a CRM export is corruption. */
  maxRecordBytes: 1024 * 1024,
  workerConcurrency: 2,
  /** PostgreSQL connections per worker process. */
  poolSize: 4,
  /** A job's lock: a worker that dies mid-job is noticed (its job "stalled") within about twice this. */
  lockMs: 30_000,
  /** How long a SIGTERMed worker may finish its current job before it is released. */
  shutdownGraceMs: 30_000,
  logLevel: 'info',
  /** A worker's /metrics port (Prometheus scrapes every replica there). */
  workerMetricsPort: 9464,
  /** `metalayer server`: Bull Board, /metrics, /healthz, /api. */
  serverPort: 3000,
  /** work_mem of silver and gold steps: their sorts and hashes stay in memory instead of spilling. */
  stepWorkMem: '256MB',
  /**
   * Parallel workers of the order lines' silver read on a first load (its CREATE TABLE AS:
   * src/pipeline/sales-load.ts). 2: the step is the run's longest, and at seed scale it ended
   * 3–6 s sooner with two than with the COPY stream it replaced (bench/HISTORY.md); 0 reads in
   * the step's one process (less CPU, a longer step).
   */
  salesReadWorkers: 2,
  /**
   * Connections that build a first load's fact indexes side by side (src/pipeline/fact-load.ts),
   * each build without parallel workers when there are two or more. At seed scale on two cores,
   * two lanes built the five indexes in 10.9–11.7 s and 18.7–20.3 core-s against 14.1–14.7 s and
   * 22.2–23.3 one after another with two parallel workers each; 3: the builds differ in size
   * (the key and the date index about 4.5–5 s each alone, the BRIN index 1 s), so with two lanes
   * one core sat idle for the last 0.4–1.9 s, and a third lane keeps both busy nearly to the end
   * (the five builds 6.9–7.8 s against 7.45–8.2 s with two, four pairs in turn: bench/HISTORY.md). A database
   * server with more cores may take more. Each build may use the step's `maintenance_work_mem`
   * (METALAYER_STEP_WORK_MEM) on the server: three lanes, three times it at once. 1: one after
   * another, with the server's parallel workers.
   */
  factIndexLanes: 3,
  /** BullMQ job options shared by every job MetaLayer enqueues. */
  job: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
    // Keep finished jobs for the board and for `status`; failed ones longer, for operators.
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  },
} as const;
