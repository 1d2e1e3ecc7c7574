import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAll, DATASOURCE_UID } from '../../dashboards/build';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort, ROOT, startCli, type LongRunning } from '../helpers/processes';
import { serverUrl } from '../helpers/logins';
import { analysePromql, exportedNames } from '../helpers/promql';
import { promtool } from '../helpers/promtool';

// Dashboards, alert rules and Prometheus config: valid for promtool, every query parses as
// PromQL, and every metric they use is one that a live server or worker exports.
const DASH = path.join(ROOT, 'dashboards');
let t: TestEnv;
let exported: Set<string>;
const processes: LongRunning[] = [];

beforeAll(async () => {
  t = await createTestEnv('dashboards');
  const port = await freePort();
  const worker = startCli(t.env, ['worker', '--metrics-port', String(port)]);
  const server = startCli(t.env, ['server', '--port', '0']);
  processes.push(worker, server);
  await worker.waitForLog(/worker started/);
  const url = await serverUrl(server);
  const texts = await Promise.all([fetch(`${url}/metrics`), fetch(`http://127.0.0.1:${port}/metrics`)].map(async (r) => (await r).text()));
  exported = new Set(texts.flatMap((x) => [...exportedNames(x)]));
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await t?.cleanup();
});

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { uid: string };
  targets: { refId: string; expr: string; datasource: { uid: string } }[];
}

const dashboards = () =>
  readdirSync(path.join(DASH, 'grafana/dashboards'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(path.join(DASH, 'grafana/dashboards', f), 'utf8')) as { uid: string; title: string; panels: Panel[] } }));

function expectQueryOk(expr: string, where: string): void {
  const { errors, metrics } = analysePromql(expr);
  expect(errors, `${where}: ${expr}`).toEqual([]);
  expect(metrics.length, `${where} selects no metric`).toBeGreaterThan(0);
  for (const m of metrics) expect(exported.has(m), `${where} uses ${m}, which /metrics does not export`).toBe(true);
}

describe('dashboards and alerts', () => {
  it('the committed dashboards and Grafana alert rules are what dashboards/build.ts generates', () => {
    for (const [file, text] of buildAll()) expect(readFileSync(file, 'utf8'), `${file} is stale: run npm run dashboards`).toBe(text);
  });

  it('covers queue health, throughput, failures, quality and freshness, each panel on the provisioned datasource with valid PromQL over exported metrics', () => {
    const all = dashboards();
    expect(all.map((d) => d.json.uid).sort()).toEqual(['metalayer-failures', 'metalayer-freshness', 'metalayer-quality', 'metalayer-queues', 'metalayer-throughput']);
    for (const { file, json } of all) {
      expect(json.title, file).toMatch(/^MetaLayer · /);
      expect(json.panels.length, file).toBeGreaterThan(2);
      expect(new Set(json.panels.map((p) => p.id)).size).toBe(json.panels.length);
      for (const p of json.panels) {
        const where = `${file} › ${p.title}`;
        expect(['timeseries', 'stat', 'bargauge']).toContain(p.type);
        expect(p.gridPos.w * p.gridPos.h, where).toBeGreaterThan(0);
        expect(p.datasource.uid, where).toBe(DATASOURCE_UID);
        expect(p.targets.length, where).toBeGreaterThan(0);
        for (const target of p.targets) {
          expect(target.datasource.uid).toBe(DATASOURCE_UID);
          expectQueryOk(target.expr, where);
        }
      }
    }
  });

  it('provisions the datasource under the uid the dashboards and alert rules use', () => {
    const ds = parse(readFileSync(path.join(DASH, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'));
    expect(ds.datasources[0].uid).toBe(DATASOURCE_UID);
    const providers = parse(readFileSync(path.join(DASH, 'grafana/provisioning/dashboards/metalayer.yml'), 'utf8'));
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    const alerting = parse(readFileSync(path.join(DASH, 'grafana/provisioning/alerting/metalayer-alerts.yml'), 'utf8'));
    const rules = alerting.groups[0].rules as { title: string; data: { datasourceUid: string; model: { expr?: string } }[] }[];
    expect(rules.length).toBe(9);
    for (const r of rules) {
      expect(r.data[0]!.datasourceUid).toBe(DATASOURCE_UID);
      expectQueryOk(r.data[0]!.model.expr!, `Grafana rule ${r.title}`);
    }
  });

  it('promtool accepts the alert rules, their unit tests pass, and every alert has a firing and a quiet case', () => {
    const check = promtool(['check', 'rules', 'dashboards/prometheus/alerts.yml']);
    expect(check.code, check.out).toBe(0);
    const unit = promtool(['test', 'rules', 'dashboards/prometheus/alerts.test.yml']);
    expect(unit.code, unit.out).toBe(0);
    const rules = parse(readFileSync(path.join(DASH, 'prometheus/alerts.yml'), 'utf8')).groups.flatMap((g: { rules: unknown[] }) => g.rules) as { alert: string; expr: string }[];
    const cases = (parse(readFileSync(path.join(DASH, 'prometheus/alerts.test.yml'), 'utf8')).tests as { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]).flatMap((x) => x.alert_rule_test);
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'MetaLayerBacklogGrowing',
      'MetaLayerJobFailureRatioHigh',
      'MetaLayerJobsFailedForGood',
      'MetaLayerJobsStalled',
      'MetaLayerMetricsUnavailable',
      'MetaLayerOldestJobWaitingTooLong',
      'MetaLayerPipelineStale',
      'MetaLayerQueueWithoutWorkers',
      'MetaLayerSourceLate',
    ]);
    for (const r of rules) {
      expect(cases.some((c) => c.alertname === r.alert && c.exp_alerts.length > 0), `${r.alert} never fires in a test`).toBe(true);
      expect(cases.some((c) => c.alertname === r.alert && c.exp_alerts.length === 0), `${r.alert} has no quiet case`).toBe(true);
      expectQueryOk(r.expr, r.alert);
    }
  });

  it('promtool accepts the Prometheus configuration of the compose stack', () => {
    const r = promtool(['check', 'config', '--syntax-only', 'dashboards/prometheus/prometheus.yml']);
    expect(r.code, r.out).toBe(0);
  });
});
