/**
 * Generates the Grafana dashboards (grafana/dashboards/*.json) and Grafana's alert provisioning
 * (grafana/provisioning/alerting/metalayer-alerts.yml, from prometheus/alerts.yml) so that panels
 * stay uniform and the alert rules are written once. Run `npm run dashboards` after editing;
 * tests/unit/dashboards.test.ts fails when the committed files differ from this output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const DATASOURCE_UID = 'metalayer-prometheus';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const datasource = { type: 'prometheus', uid: DATASOURCE_UID };

interface PanelSpec {
  title: string;
  type?: 'timeseries' | 'stat' | 'bargauge';
  unit?: string;
  description: string;
  queries: { expr: string; legend?: string }[];
}

interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

const backlog = 'sum by (queue) (metalayer_queue_jobs{state=~"waiting|prioritized"})';

export const DASHBOARDS: DashboardSpec[] = [
  {
    uid: 'metalayer-queues',
    title: 'MetaLayer · Queue health and backlog',
    description: 'Jobs per queue and state, how long the oldest job has waited, and who serves each queue.',
    panels: [
      { title: 'Backlog per queue (waiting + prioritized)', unit: 'short', description: 'Grows when work arrives faster than workers finish it.', queries: [{ expr: backlog, legend: '{{queue}}' }] },
      { title: 'Oldest waiting job', unit: 's', description: 'Age of the job that has waited longest in each queue.', queries: [{ expr: 'max by (queue) (metalayer_queue_oldest_waiting_job_age_seconds)', legend: '{{queue}}' }] },
      { title: 'Jobs by state', unit: 'short', description: 'Every state but completed, summed over queues.', queries: [{ expr: 'sum by (state) (metalayer_queue_jobs{state!="completed"})', legend: '{{state}}' }] },
      { title: 'Active jobs per queue', unit: 'short', description: 'Jobs being processed right now.', queries: [{ expr: 'sum by (queue) (metalayer_queue_jobs{state="active"})', legend: '{{queue}}' }] },
      { title: 'Worker connections per queue', type: 'stat', unit: 'short', description: '0 with a backlog pages (MetaLayerQueueWithoutWorkers).', queries: [{ expr: 'max by (queue) (metalayer_queue_workers)', legend: '{{queue}}' }] },
      { title: 'Parents waiting for children', unit: 'short', description: 'Silver and gold jobs whose chunks or steps are still running.', queries: [{ expr: 'sum by (queue) (metalayer_queue_jobs{state="waiting-children"})', legend: '{{queue}}' }] },
    ],
  },
  {
    uid: 'metalayer-throughput',
    title: 'MetaLayer · Throughput',
    description: 'Rows per second per layer and source, jobs per second, job durations and worker memory.',
    panels: [
      { title: 'Rows loaded into bronze per second', unit: 'rowsps', description: 'Summed over every worker replica.', queries: [{ expr: 'sum by (source) (rate(metalayer_rows_total{layer="bronze",outcome="loaded"}[5m]))', legend: '{{source}}' }] },
      { title: 'Rows changed in silver and gold per second', unit: 'rowsps', description: 'Rows inserted or updated by the set-based steps.', queries: [{ expr: 'sum by (layer) (rate(metalayer_rows_total{outcome="changed"}[5m]))', legend: '{{layer}}' }] },
      { title: 'Jobs completed per second', unit: 'ops', description: 'Per queue, over all replicas.', queries: [{ expr: 'sum by (queue) (rate(metalayer_job_duration_seconds_count{outcome="completed"}[5m]))', legend: '{{queue}}' }] },
      { title: 'Job duration, 95th percentile', unit: 's', description: 'Time in the handler, per queue.', queries: [{ expr: 'histogram_quantile(0.95, sum by (queue, le) (rate(metalayer_job_duration_seconds_bucket[5m])))', legend: '{{queue}}' }] },
      { title: 'Worker resident memory', unit: 'bytes', description: 'Per replica; a bronze chunk is streamed, so this stays flat whatever the file size.', queries: [{ expr: 'max by (instance) (metalayer_worker_process_resident_memory_bytes)', legend: '{{instance}}' }] },
    ],
  },
  {
    uid: 'metalayer-failures',
    title: 'MetaLayer · Failures and retries',
    description: 'Failed and retried attempts, stalled jobs, rejected rows and the runs that failed.',
    panels: [
      { title: 'Share of job attempts that fail', unit: 'percentunit', description: 'Failed or retried attempts ÷ all attempts, per queue.', queries: [{ expr: 'sum by (queue) (rate(metalayer_job_duration_seconds_count{outcome=~"failed|retried"}[15m])) / sum by (queue) (rate(metalayer_job_duration_seconds_count[15m]))', legend: '{{queue}}' }] },
      { title: 'Retries per second', unit: 'ops', description: 'Attempts that failed with a transient error and were scheduled again.', queries: [{ expr: 'sum by (queue) (rate(metalayer_job_retries_total[5m]))', legend: '{{queue}}' }] },
      { title: 'Jobs failed for good (last 15 min)', unit: 'short', description: 'Each one failed its run; retry it in Bull Board or with metalayer retry.', queries: [{ expr: 'sum by (queue) (increase(metalayer_job_duration_seconds_count{outcome="failed"}[15m]))', legend: '{{queue}}' }] },
      { title: 'Failed jobs kept in Redis', type: 'stat', unit: 'short', description: 'What Bull Board lists as failed.', queries: [{ expr: 'sum by (queue) (metalayer_queue_jobs{state="failed"})', legend: '{{queue}}' }] },
      { title: 'Stalled jobs (last 15 min)', unit: 'short', description: 'Jobs whose worker died or lost its lock; another worker took them over.', queries: [{ expr: 'sum by (queue) (increase(metalayer_jobs_stalled_total[15m]))', legend: '{{queue}}' }] },
      { title: 'Rows rejected into quarantine per second', unit: 'rowsps', description: 'Structural rejects of bronze, per source.', queries: [{ expr: 'sum by (source) (rate(metalayer_rows_total{outcome="rejected"}[5m]))', legend: '{{source}}' }] },
      { title: 'Runs by status', type: 'stat', unit: 'short', description: 'All runs recorded in meta.runs.', queries: [{ expr: 'sum by (status) (metalayer_pipeline_runs)', legend: '{{status}}' }] },
    ],
  },
  {
    uid: 'metalayer-quality',
    title: 'MetaLayer · Data quality',
    description: 'Share of rows passing every check, per table, for the latest run that touched it.',
    panels: [
      { title: 'Quality score per table (latest run)', type: 'bargauge', unit: 'percentunit', description: '1 = no row rejected.', queries: [{ expr: 'min by (table) (metalayer_table_quality_score)', legend: '{{table}}' }] },
      { title: 'Quality score over time', unit: 'percentunit', description: 'A drop is a source delivering worse data.', queries: [{ expr: 'min by (table) (metalayer_table_quality_score)', legend: '{{table}}' }] },
      { title: 'Share of bronze rows rejected (last hour)', unit: 'percentunit', description: 'Rejected ÷ read, per source.', queries: [{ expr: 'sum by (source) (rate(metalayer_rows_total{layer="bronze",outcome="rejected"}[1h])) / sum by (source) (rate(metalayer_rows_total{layer="bronze",outcome="read"}[1h]))', legend: '{{source}}' }] },
    ],
  },
  {
    uid: 'metalayer-freshness',
    title: 'MetaLayer · Freshness',
    description: 'How old the warehouse is: last successful run, last load per source, last run duration.',
    panels: [
      { title: 'Time since the last successful run', type: 'stat', unit: 's', description: 'Pages after 26 h (MetaLayerPipelineStale).', queries: [{ expr: 'time() - max by (pipeline) (metalayer_pipeline_last_success_timestamp_seconds)', legend: '{{pipeline}}' }] },
      { title: 'Source age ÷ its maximum age', unit: 'percentunit', description: 'Above 100 % the source is late (each contract declares its maximum age).', queries: [{ expr: '(time() - max by (source) (metalayer_source_last_loaded_timestamp_seconds)) / on (source) max by (source) (metalayer_source_max_age_seconds)', legend: '{{source}}' }] },
      { title: 'Time since each source last loaded', unit: 's', description: 'A late source system shows here first (MetaLayerSourceLate).', queries: [{ expr: 'time() - max by (source) (metalayer_source_last_loaded_timestamp_seconds)', legend: '{{source}}' }] },
      { title: 'Duration of the last run', type: 'stat', unit: 's', description: 'Wall time of the last finished run, by its status.', queries: [{ expr: 'max by (pipeline, status) (metalayer_pipeline_last_run_duration_seconds)', legend: '{{status}}' }] },
    ],
  },
];

export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['metalayer'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [] },
    annotations: { list: [] },
    panels: spec.panels.map((p, i) => ({
      id: i + 1,
      type: p.type ?? 'timeseries',
      title: p.title,
      description: p.description,
      datasource,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      options: {},
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: q.expr,
        legendFormat: q.legend ?? '__auto',
        range: true,
      })),
    })),
  };
}

interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Grafana-managed copies of the Prometheus alert rules: query A, fire while it returns a series. */
export function grafanaAlerting(alertsYaml: string): string {
  const doc = parse(alertsYaml) as { groups: { name: string; rules: PromRule[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  const provisioning = {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'metalayer',
        folder: 'MetaLayer',
        interval: '1m',
        rules: rules.map((r) => ({
          uid: r.alert.replace(/^MetaLayer/, 'ml-').toLowerCase().slice(0, 40),
          title: r.alert,
          condition: 'B',
          data: [
            { refId: 'A', relativeTimeRange: { from: 900, to: 0 }, datasourceUid: DATASOURCE_UID, model: { refId: 'A', expr: r.expr.trim(), instant: true } },
            {
              refId: 'B',
              datasourceUid: '__expr__',
              model: { refId: 'B', type: 'threshold', expression: 'A', conditions: [{ evaluator: { type: 'gt', params: [0] } }] },
            },
          ],
          // The Prometheus expressions return no series while all is well.
          noDataState: 'OK',
          execErrState: 'Error',
          for: r.for ?? '0s',
          labels: r.labels ?? {},
          // Grafana templates read the query's value as $values.A.Value; labels are the same.
          annotations: Object.fromEntries(Object.entries(r.annotations ?? {}).map(([k, v]) => [k, v.replace(/\$value\b/g, '$$values.A.Value')])),
        })),
      },
    ],
  };
  return `# Generated by dashboards/build.ts from dashboards/prometheus/alerts.yml — do not edit by hand.\n${stringify(provisioning, { lineWidth: 0 })}`;
}

export function buildAll(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of DASHBOARDS) files.set(path.join(HERE, 'grafana/dashboards', `${d.uid}.json`), `${JSON.stringify(dashboardJson(d), null, 2)}\n`);
  files.set(path.join(HERE, 'grafana/provisioning/alerting/metalayer-alerts.yml'), grafanaAlerting(readFileSync(path.join(HERE, 'prometheus/alerts.yml'), 'utf8')));
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, text] of buildAll()) {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
