/** MetaLayer's own processes as the benchmarks start them: workers and one-shot CLI commands. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../src/queue/names';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface WorkerProc {
  child: ChildProcess;
  peakRssMb: number;
  exited: Promise<number | null>;
}

/** A `metalayer worker` process (one job per queue at a time), resolved once it logged its start. */
export function startWorker(env: NodeJS.ProcessEnv, queues?: string): Promise<WorkerProc> {
  return new Promise((resolve, reject) => {
    const args = ['worker', '--concurrency', '1', ...(queues ? ['--queues', queues] : [])];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/metalayer.mjs'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let started = false;
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        if (!started) reject(new Error(`a worker exited with ${code} before it started:\n${log.slice(-2000)}`));
        r(code);
      }),
    );
    // The worker logs 'worker started' at level info; a worker that never says so fails the bench.
    const timer = setTimeout(() => {
      if (started) return;
      child.kill('SIGKILL');
      reject(new Error(`a worker did not start within 60 s (LOG_LEVEL must be info or lower):\n${log.slice(-2000)}`));
    }, 60_000);
    child.stderr!.on('data', (d) => {
      log += d;
      if (!started && log.includes('worker started')) {
        started = true;
        clearTimeout(timer);
        resolve({ child, peakRssMb: 0, exited });
      }
    });
  });
}

/** VmHWM: the process's peak resident set, kept by the kernel. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * The machine's CPU time so far, in core-seconds, from /proc/stat: busy (user, nice, system, irq,
 * softirq, steal) and idle (idle, iowait). The difference of two readings tells how much of the
 * cores a stretch of the bench used: every process, the database's included.
 */
export function machineCpuSeconds(): { busy: number; idle: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
  const tick = 100; // USER_HZ: 100 on Linux for every architecture we run on
  return { busy: (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / tick, idle: (idle! + iowait!) / tick };
}

/** A one-shot `metalayer` command; resolves with its stdout, rejects with its stderr's tail. */
export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/metalayer.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`metalayer ${args[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/** Removes every queue of a prefix (what a bronze-only run leaves: its silver and gold jobs). */
export async function obliterate(prefix: string): Promise<void> {
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  try {
    for (const name of QUEUES) {
      const q = new Queue(name, { connection, prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
  } finally {
    connection.disconnect();
  }
}
