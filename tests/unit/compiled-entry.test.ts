import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the launcher, without type declarations
import { compiledEntry } from '../../bin/compiled-entry.mjs';
import { BIN } from '../helpers/processes';

// bin/compiled-entry.mjs: the CLI runs from a bundle of its sources, made again whenever a source
// changed, with module-relative paths (../../sql) resolving as they do from src/<dir>/<file>.ts.
const run = promisify(execFile);
const root = mkdtempSync(path.join(os.tmpdir(), 'ml-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A project of two modules: the entry, and one that reads ../../sql/answer.txt beside itself. */
function writeProject(answer: string, suffix = ''): void {
  mkdirSync(path.join(root, 'src/cli'), { recursive: true });
  mkdirSync(path.join(root, 'src/db'), { recursive: true });
  mkdirSync(path.join(root, 'sql'), { recursive: true });
  writeFileSync(path.join(root, 'sql/answer.txt'), answer);
  writeFileSync(
    path.join(root, 'src/db/answer.ts'),
    `import { readFileSync } from 'node:fs';
     import path from 'node:path';
     import { fileURLToPath } from 'node:url';
     const SQL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');
     export const answer = (): string => readFileSync(path.join(SQL_ROOT, 'answer.txt'), 'utf8')${suffix};\n`,
  );
  writeFileSync(path.join(root, 'src/cli/main.ts'), `import { answer } from '../db/answer';\nexport async function main(): Promise<string> { return answer(); }\n`);
}

describe('the bundled CLI (bin/compiled-entry.mjs)', () => {
  it('bundles the sources once, reuses the bundle, and bundles again when a source changes', async () => {
    writeProject('42');
    const first = await compiledEntry(root);
    expect(first).toMatch(/\/\.build\/[0-9a-f]{16}\/main\.mjs$/);
    expect(await (await import(first)).main()).toBe('42'); // ../../sql from the bundle is the project's sql/
    expect(await compiledEntry(root)).toBe(first);

    writeProject('42', ` + '!'`); // the module changed (its size and time)
    const second = await compiledEntry(root);
    expect(second).not.toBe(first);
    expect(await (await import(second)).main()).toBe('42!');
    // Only the current bundle is kept.
    expect(readdirSync(path.join(root, '.build'))).toEqual([path.basename(path.dirname(new URL(second).pathname))]);
  });

  it('runs the sources through tsx when asked, with the same result as the bundle', async () => {
    process.env.METALAYER_NO_BUNDLE = '1';
    try {
      expect(await compiledEntry(root)).toBeNull();
    } finally {
      delete process.env.METALAYER_NO_BUNDLE;
    }
    const bundled = await run(process.execPath, [BIN, 'run', '--help']);
    const sources = await run(process.execPath, [BIN, 'run', '--help'], { env: { ...process.env, METALAYER_NO_BUNDLE: '1' } });
    expect(bundled.stdout).toContain('Usage:');
    expect(bundled.stdout).toBe(sources.stdout);
  });
});
