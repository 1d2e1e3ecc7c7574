import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { METRIC_NAMES } from '../../src/metrics/metrics';
import { ROOT, runCli } from '../helpers/processes';
import { analysePromql } from '../helpers/promql';
import { spawnSync } from 'node:child_process';

// The deployment files: docker-compose.yml passes the compose linter, every service the stack
// needs is there with a healthcheck, every MetaLayer command and option is a real one; the
// Dockerfile is multi-stage and non-root; the Kubernetes worker and its KEDA trigger are sound.
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { build?: string; image?: string; command?: string[]; healthcheck?: { test: string[] }; ports?: string[]; container_name?: string; stop_grace_period?: string; volumes?: string[]; environment?: Record<string, string>; profiles?: string[] }>;
};
const helpCache = new Map<string, string>();

/** Fails unless `metalayer <args>` names a real command and only options that command accepts. */
async function expectRealCommand(args: string[], where: string): Promise<void> {
  const [command, ...rest] = args;
  let help = helpCache.get(command!);
  if (help === undefined) {
    const r = await runCli(process.env, [command!, '--help']);
    expect(r.code, `${where}: "${command}" is not a metalayer command\n${r.stderr}`).toBe(0);
    help = r.stdout;
    helpCache.set(command!, help);
  }
  for (const flag of rest.filter((a) => a.startsWith('--'))) expect(help, `${where}: ${command} has no option ${flag}`).toContain(flag);
}

describe('docker-compose.yml', () => {
  it('passes the compose linter (dclint) with no problem', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/dclint'), ['docker-compose.yml'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/warning|error/i);
  });

  it('has every service of the stack, each with a healthcheck', () => {
    const names = Object.keys(compose.services);
    for (const s of ['postgres', 'redis', 'migrate', 'scheduler', 'worker', 'server', 'prometheus', 'grafana']) expect(names).toContain(s);
    for (const [name, s] of Object.entries(compose.services)) expect(s.healthcheck?.test?.length, `${name} has no healthcheck`).toBeGreaterThan(0);
  });

  it('runs Redis with AOF and noeviction, and workers that scale and finish their job on stop', () => {
    const redis = compose.services.redis!.command!.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    const graceMs = Number(worker.environment!.METALAYER_SHUTDOWN_GRACE_MS);
    expect(Number(worker.stop_grace_period!.replace(/s$/, '')) * 1000).toBeGreaterThan(graceMs);
    const prometheus = read('dashboards/prometheus/prometheus.yml');
    expect(prometheus).toMatch(/dns_sd_configs:\s+- names: \['worker'\]/);
    expect(prometheus).toContain(`port: ${worker.environment!.METALAYER_METRICS_PORT}`);
  });

  it('gives every MetaLayer service a real command with real options', async () => {
    const own = Object.entries(compose.services).filter(([, s]) => s.build === '.');
    expect(own.map(([n]) => n).sort()).toEqual(['migrate', 'pipeline', 'scheduler', 'server', 'worker']);
    for (const [name, s] of own) {
      await expectRealCommand(s.command!, `service ${name}`);
      const hc = s.healthcheck!.test;
      const bin = hc.indexOf('bin/metalayer.mjs');
      if (bin >= 0) await expectRealCommand(hc.slice(bin + 1), `healthcheck of ${name}`);
    }
  });

  it('mounts configuration files that exist', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const host = v.split(':')[0]!;
        if (host.startsWith('./') && host !== './landing') expect(existsSync(path.join(ROOT, host)), `${name} mounts missing ${host}`).toBe(true);
      }
    }
  });
});

describe('Dockerfile', () => {
  it('is multi-stage and runs as a non-root user', () => {
    const text = read('Dockerfile');
    expect(text.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    const users = [...text.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
  });
});

describe('k8s/', () => {
  it('runs real worker commands, with a grace period longer than the shutdown deadline', async () => {
    const [deployment] = parseAllDocuments(read('k8s/worker-deployment.yaml')).map((d) => d.toJS());
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    await expectRealCommand(container.args, 'k8s worker');
    await expectRealCommand(container.livenessProbe.exec.command.slice(2), 'k8s liveness probe');
    const grace = Number(container.env.find((e: { name: string }) => e.name === 'METALAYER_SHUTDOWN_GRACE_MS').value);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(grace);
  });

  it('scales on a Prometheus backlog query over metrics MetaLayer exports', () => {
    const scaled = parse(read('k8s/keda-scaledobject.yaml'));
    expect(scaled.kind).toBe('ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe('metalayer-worker');
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe('prometheus');
    const { errors, metrics } = analysePromql(trigger.metadata.query);
    expect(errors).toEqual([]);
    expect(metrics).toEqual([METRIC_NAMES.queueJobs]);
    expect(trigger.metadata.query).toContain('prioritized');
  });
});
