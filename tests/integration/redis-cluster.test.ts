import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Manifest } from '../../src/generate/generator';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import { openRuntime } from '../../src/runtime';
import { expectExactWarehouse } from '../helpers/expect-warehouse';
import { eventually, freePort } from '../helpers/processes';
import { createTestEnv, type TestEnv } from '../helpers/test-env';

// The pipeline against a 3-node Redis Cluster started on loopback ports: the queue prefix's hash
// tag keeps every key of the flows in one slot; the warehouse is the one a single Redis gives
// (both equal the generator's manifest, which the single-Redis tests check).
const nodes: ChildProcess[] = [];
let ports: number[] = [];
let t: TestEnv;
let m: Manifest;

const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });

beforeAll(async () => {
  t = await createTestEnv('cluster', { METALAYER_CHUNK_BYTES: String(64 * 1024) });
  ports = [await freePort(), await freePort(), await freePort()];
  for (const port of ports) {
    const dir = path.join(t.tmp, `node-${port}`);
    mkdirSync(dir);
    const child = spawn(
      'redis-server',
      // The cluster bus on a port of its own too (by default the port + 10000, which may be taken or past 65535).
      ['--port', String(port), '--cluster-port', String(await freePort()), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    nodes.push(child);
    await eventually(async () => (cli(port, 'ping').stdout.trim() === 'PONG' ? true : undefined), `cluster node ${port}`);
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  expect(create.status, create.stdout + create.stderr).toBe(0);
  await eventually(async () => (ports.every((p) => /cluster_state:ok/.test(cli(p, 'cluster', 'info').stdout)) ? true : undefined), 'cluster_state:ok');
  m = generate({ out: path.join(t.tmp, 'in'), customers: 1500, seed: 41, asOf: '2025-06-30' });
}, 60_000);

afterAll(async () => {
  for (const n of nodes) n.kill('SIGKILL');
  await t?.cleanup();
});

describe('on a 3-node Redis Cluster', () => {
  it('runs the whole flow and builds the same warehouse as on a single Redis', async () => {
    const url = `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
    const rt = openRuntime({ ...t.config, redisUrl: url }, { poolSize: 8, logger: t.rt.logger });
    try {
      const s = await runPipeline(rt, { inputDir: path.join(t.tmp, 'in'), asOf: '2025-06-30', workers: 2, timeoutMs: 120_000 });
      expect(s.status, s.message ?? '').toBe('succeeded');
      expect(s.files.reduce((n, f) => n + f.chunks, 0)).toBeGreaterThan(6);
    } finally {
      await rt.close();
    }
    await expectExactWarehouse(t, m);
    // The queues' keys really live in the cluster, spread over no more than the prefix's one slot.
    const slot = Number(cli(ports[0]!, 'cluster', 'keyslot', t.config.queuePrefix).stdout.trim());
    const counts = ports.map((p) => Number(cli(p, 'dbsize').stdout.trim()));
    expect(counts.filter((c) => c > 0)).toHaveLength(1);
    const owner = ports[counts.findIndex((c) => c > 0)]!;
    expect(Number(cli(owner, 'cluster', 'countkeysinslot', String(slot)).stdout.trim())).toBe(counts.reduce((a, b) => a + b, 0));
  });
});
