// The CLI's TypeScript, bundled once by esbuild into .build/<key>/ and loaded from there, so that
// a command starts without tsx's loader transforming some hundred files on every start (measured:
// `metalayer --help` 1.1–1.3 s through tsx, about 0.6 s bundled; every `metalayer run` and every
// worker process pays it). The key hashes every source file's path, size and modification time,
// and this file's: an edited file makes a new bundle on the next start (about 0.3 s), so there
// is still no build step to forget. Packages stay external (node_modules is loaded as before),
// and the bundle sits two directories below the root as src/<dir>/<file>.ts does, so that paths
// the code resolves from its own module (../../sql) still point at the same folders. Any failure (a read-only
// install, a missing esbuild) returns null and the caller runs the sources through tsx instead.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src', 'workers'];
const ENTRY = 'src/cli/main.ts';

/** Every .ts file under the source folders of `root` with its size and mtime, in a stable order. */
function sourceStamp(root) {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const s = statSync(p);
        hash.update(`${path.relative(root, p)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  for (const dir of SOURCES) if (existsSync(path.join(root, dir))) walk(path.join(root, dir));
  // This file too: a change to how the bundle is made makes a new one.
  const self = statSync(fileURLToPath(import.meta.url));
  hash.update(`compiled-entry.mjs\0${self.size}\0${self.mtimeMs}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The bundle's entry as a file URL, built first when the sources changed; null when it cannot be
 * (or when METALAYER_NO_BUNDLE=1 asks for the sources through tsx). `root`: the project (tests).
 */
export async function compiledEntry(root = ROOT) {
  if (process.env.METALAYER_NO_BUNDLE === '1') return null;
  const out = path.join(root, '.build');
  try {
    const key = sourceStamp(root);
    const dir = path.join(out, key);
    const entry = path.join(dir, 'main.mjs');
    if (!existsSync(entry)) {
      const { build } = await import('esbuild');
      // Built aside and renamed into place: processes starting together (a worker group) never
      // load a half-written bundle; the first rename wins and the others use it.
      const tmp = `${dir}.tmp-${process.pid}`;
      mkdirSync(tmp, { recursive: true });
      await build({
        entryPoints: { main: path.join(root, ENTRY) },
        outdir: tmp,
        bundle: true,
        splitting: true, // the server and other lazily imported modules stay lazy
        format: 'esm',
        platform: 'node',
        target: 'node20',
        packages: 'external',
        outExtension: { '.js': '.mjs' },
        logLevel: 'silent',
      }).catch((err) => {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      });
      try {
        renameSync(tmp, dir);
      } catch {
        rmSync(tmp, { recursive: true, force: true });
        if (!existsSync(entry)) return null;
      }
      // Bundles of earlier sources are not needed again; nor a build a process left behind when it
      // died (one in progress elsewhere is minutes younger).
      for (const old of readdirSync(out)) {
        const p = path.join(out, old);
        if (old !== key && (!old.includes('.tmp-') || statSync(p).mtimeMs < Date.now() - 600_000)) rmSync(p, { recursive: true, force: true });
      }
    }
    return pathToFileURL(entry).href;
  } catch {
    return null;
  }
}
