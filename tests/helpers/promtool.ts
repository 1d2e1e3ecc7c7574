import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './processes';

let cached: string | undefined;

/** The promtool binary: $PROMTOOL (set by scripts/test.sh), else fetched by scripts/ensure-promtool.sh. */
export function promtoolPath(): string {
  cached ??= process.env.PROMTOOL || execFileSync('bash', [path.join(ROOT, 'scripts/ensure-promtool.sh')], { encoding: 'utf8' }).trim();
  return cached;
}

export function promtool(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync(promtoolPath(), args, { input, encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
