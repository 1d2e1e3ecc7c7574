import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/metalayer.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `metalayer` command to its end. */
export function runCli(env: NodeJS.ProcessEnv, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface LongRunning {
  child: ChildProcess;
  /** Everything the process wrote to stderr (its JSON log lines) so far. */
  log(): string;
  /** Resolves with the first log line matching re; rejects if the process exits first. */
  waitForLog(re: RegExp): Promise<string>;
  exited: Promise<number | null>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running `metalayer` command (worker, server, scheduler) as its own OS process; logs at info unless env asks for more. */
export function startCli(env: NodeJS.ProcessEnv, args: string[]): LongRunning {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, LOG_LEVEL: env.LOG_LEVEL && env.LOG_LEVEL !== 'silent' ? env.LOG_LEVEL : 'info' }, cwd: ROOT });
  let stderr = '';
  const waiters: { re: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const line = stderr.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stderr!.on('data', (d) => {
    stderr += d;
    check();
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`metalayer ${args[0]} exited with ${code} before logging ${w.re}:\n${stderr}`));
      resolve(code);
    }),
  );
  return {
    child,
    log: () => stderr,
    waitForLog(re) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`metalayer ${args[0]} already exited:\n${stderr}`));
        waiters.push({ re, resolve, reject });
        check();
      });
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A TCP port that was free a moment ago (for a child process that cannot report its own). Picked
 * at random below Linux's ephemeral range (32768–60999), not by the kernel from it: a port the
 * kernel hands out for listen(0) and frees again is soon handed to some outgoing connection (a
 * test's PostgreSQL or Redis client), and the child then found it taken ("metrics port … is
 * already in use", seen in a clean clone's run).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
    if (tries > 100) throw new Error('no free TCP port found in 20000-31999');
  }
}

/** Polls until fn returns a value other than undefined (no fixed sleeps standing in for sync). */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
