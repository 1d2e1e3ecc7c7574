import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceContract } from '../contracts/source-contract';
import { ConfigError } from '../errors/config-error';

export interface FoundFile {
  path: string;
  source: SourceContract;
}

/**
 * Every file under dir (sub-folders included) whose name starts with a source's prefix,
 * case-insensitively, and ends in .csv or .csv.gz. Sorted by path, so runs are reproducible.
 */
export function discoverFiles(dir: string, sources: readonly SourceContract[], onSkip?: (path: string, why: string) => void): FoundFile[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ConfigError(`input folder ${dir} does not exist or is not a folder`);
  const found: FoundFile[] = [];
  const root = realpathSync(dir);
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      // A symbolic link is read only when it is a file inside the landing folder: a link must not
      // lead a run elsewhere, and linked folders could loop.
      if (entry.isSymbolicLink()) {
        const target = safeRealpath(full);
        if (target === null || (target !== root && !target.startsWith(root + path.sep))) {
          onSkip?.(full, `a symbolic link to ${target ?? 'nowhere'}, outside the landing folder ${root}: not read`);
          continue;
        }
        isDirectory = false;
        isFile = statSync(target).isFile();
      }
      if (isDirectory) walk(full);
      else if (isFile) {
        const name = entry.name.toLowerCase();
        if (!/\.csv(\.gz)?$/.test(name)) continue;
        const source = sources.find((s) => name.startsWith(s.filePrefix.toLowerCase()));
        if (source) found.push({ path: path.resolve(full), source });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function safeRealpath(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}
