import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every MetaLayer metric is defined here, and only here: dashboards, alert rules and the tests
 * that check them read their names from one place. Names follow Prometheus conventions
 * (`metalayer_` prefix, base units, `_total` for counters, `_seconds` for durations).
 *
 * Who exports what:
 * - the server (`metalayer server`, one process) exports the queue gauges and the pipeline gauges
 *   read from PostgreSQL, so they are not repeated by every worker replica;
 * - every worker process exports its own job metrics (Prometheus sums over replicas).
 */

/** Job states a backlog is made of, as BullMQ names them. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'waiting-children', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export const METRIC_NAMES = {
  queueJobs: 'metalayer_queue_jobs',
  queueOldestWaitingAge: 'metalayer_queue_oldest_waiting_job_age_seconds',
  queueWorkers: 'metalayer_queue_workers',
  queueScrapeErrors: 'metalayer_queue_scrape_errors_total',
  jobDuration: 'metalayer_job_duration_seconds',
  rows: 'metalayer_rows_total',
  jobRetries: 'metalayer_job_retries_total',
  jobsStalled: 'metalayer_jobs_stalled_total',
  lastSuccess: 'metalayer_pipeline_last_success_timestamp_seconds',
  lastRunDuration: 'metalayer_pipeline_last_run_duration_seconds',
  runs: 'metalayer_pipeline_runs',
  tableQuality: 'metalayer_table_quality_score',
  sourceLastLoaded: 'metalayer_source_last_loaded_timestamp_seconds',
  sourceMaxAge: 'metalayer_source_max_age_seconds',
} as const;

export interface QueueSnapshot {
  queue: string;
  counts: Record<QueueState, number>;
  oldestWaitingAgeSeconds: number;
  workers: number;
}

export interface PipelineSnapshot {
  lastSuccessSeconds: { pipeline: string; value: number }[];
  lastRunDurationSeconds: { pipeline: string; status: string; value: number }[];
  runs: { status: string; value: number }[];
  tableQuality: { layer: string; table: string; value: number }[];
  sourceLastLoadedSeconds: { source: string; value: number }[];
  sourceMaxAgeSeconds: { source: string; value: number }[];
}

/**
 * The server's registry: queue and pipeline gauges, read at scrape time through the given
 * functions (Redis and PostgreSQL), plus the process's default metrics.
 */
export function createServerRegistry(read: {
  queues(): Promise<QueueSnapshot[]>;
  pipeline(): Promise<PipelineSnapshot>;
  onError?: (source: 'redis' | 'postgres', err: unknown) => void;
}): Registry {
  const registry = new Registry();
  withDefaultMetrics(registry, 'metalayer_server_');
  const scrapeErrors = new Counter({
    name: METRIC_NAMES.queueScrapeErrors,
    help: 'Scrapes whose queue or pipeline figures could not be read (Redis or PostgreSQL unreachable).',
    labelNames: ['source'],
    registers: [registry],
  });
  // One read per scrape, shared by the three queue gauges (prom-client collects them in turn).
  let pendingQueues: Promise<QueueSnapshot[]> | null = null;
  const queuesOnce = (): Promise<QueueSnapshot[]> => {
    pendingQueues ??= read.queues().finally(() => setTimeout(() => (pendingQueues = null), 0));
    return pendingQueues;
  };
  let pendingPipeline: Promise<PipelineSnapshot> | null = null;
  const pipelineOnce = (): Promise<PipelineSnapshot> => {
    pendingPipeline ??= read.pipeline().finally(() => setTimeout(() => (pendingPipeline = null), 0));
    return pendingPipeline;
  };
  const fromQueues = async (gauge: Gauge<string>, fill: (g: Gauge<string>, s: QueueSnapshot) => void): Promise<void> => {
    gauge.reset();
    try {
      for (const s of await queuesOnce()) fill(gauge, s);
    } catch (err) {
      scrapeErrors.inc({ source: 'redis' });
      read.onError?.('redis', err);
    }
  };
  const fromPipeline = async (gauge: Gauge<string>, fill: (g: Gauge<string>, s: PipelineSnapshot) => void): Promise<void> => {
    gauge.reset();
    try {
      fill(gauge, await pipelineOnce());
    } catch (err) {
      scrapeErrors.inc({ source: 'postgres' });
      read.onError?.('postgres', err);
    }
  };

  /** A gauge whose series are set at scrape time from one of the two readers. */
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge<string>) => Promise<void>): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        return fill(this);
      },
    });
  };
  /** Pipeline series: one labelled value each. */
  const pipelineSeries = <K extends keyof PipelineSnapshot>(name: string, help: string, labelNames: string[], key: K): void =>
    gauge(name, help, labelNames, (g) =>
      fromPipeline(g, (gg, s) => {
        for (const { value, ...labels } of s[key] as ({ value: number } & Record<string, string | number>)[]) gg.set(labels as Record<string, string>, value);
      }),
    );

  gauge(METRIC_NAMES.queueJobs, 'Jobs in each MetaLayer queue by state (backlog = waiting + prioritized).', ['queue', 'state'], (g) =>
    fromQueues(g, (gg, s) => {
      for (const state of QUEUE_STATES) gg.set({ queue: s.queue, state }, s.counts[state]);
    }),
  );
  gauge(METRIC_NAMES.queueOldestWaitingAge, 'Age of the oldest job waiting in each queue (0 when none waits).', ['queue'], (g) =>
    fromQueues(g, (gg, s) => gg.set({ queue: s.queue }, s.oldestWaitingAgeSeconds)),
  );
  gauge(METRIC_NAMES.queueWorkers, 'Worker connections serving each queue, across all hosts.', ['queue'], (g) =>
    fromQueues(g, (gg, s) => gg.set({ queue: s.queue }, s.workers)),
  );
  pipelineSeries(METRIC_NAMES.lastSuccess, 'When the last successful run of each pipeline finished (Unix time): freshness.', ['pipeline'], 'lastSuccessSeconds');
  pipelineSeries(
    METRIC_NAMES.lastRunDuration,
    'Wall time of the last finished run of each pipeline, labelled with its status.',
    ['pipeline', 'status'],
    'lastRunDurationSeconds',
  );
  pipelineSeries(METRIC_NAMES.runs, 'Runs recorded in meta.runs by status.', ['status'], 'runs');
  pipelineSeries(
    METRIC_NAMES.tableQuality,
    'Share of the rows of the latest run that passed every check, per table (1 = none rejected).',
    ['layer', 'table'],
    'tableQuality',
  );
  pipelineSeries(METRIC_NAMES.sourceLastLoaded, 'When a file of each source was last loaded into bronze (Unix time).', ['source'], 'sourceLastLoadedSeconds');
  pipelineSeries(
    METRIC_NAMES.sourceMaxAge,
    'Declared maximum age of each source (its contract): older than this since the last load, the source is late.',
    ['source'],
    'sourceMaxAgeSeconds',
  );
  return registry;
}

export interface WorkerMetrics {
  registry: Registry;
  jobDuration: Histogram<'queue' | 'outcome'>;
  rows: Counter<'source' | 'layer' | 'outcome'>;
  retries: Counter<'queue'>;
  stalled: Counter<'queue'>;
}

/** A worker process's registry: what its jobs did. Every replica exports its own. */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  withDefaultMetrics(registry, 'metalayer_worker_');
  return {
    registry,
    jobDuration: new Histogram({
      name: METRIC_NAMES.jobDuration,
      help: 'Time a job spent in its handler, by queue and outcome (completed, retried, failed).',
      labelNames: ['queue', 'outcome'],
      // Chunks take ~0.1–10 s, silver and gold steps up to minutes at seed scale.
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    rows: new Counter({
      name: METRIC_NAMES.rows,
      help: 'Rows handled by jobs, by source, layer and outcome (read, loaded, rejected, changed).',
      labelNames: ['source', 'layer', 'outcome'],
      registers: [registry],
    }),
    retries: new Counter({
      name: METRIC_NAMES.jobRetries,
      help: 'Job attempts that failed with a retryable error and were scheduled again.',
      labelNames: ['queue'],
      registers: [registry],
    }),
    stalled: new Counter({
      name: METRIC_NAMES.jobsStalled,
      help: 'Jobs this worker found stalled (their worker died or lost its lock) and moved back to wait.',
      labelNames: ['queue'],
      registers: [registry],
    }),
  };
}

/**
 * prom-client's process and Node.js metrics, minus the three gauges it names `*_total`
 * (active handles, requests, resources): promtool refuses a gauge with a counter's suffix.
 */
function withDefaultMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`${prefix}${name}`);
  }
}
