import { stat } from 'node:fs/promises';
import { ContractError } from '../errors/contract-error';

export interface FileVersion {
  size: number;
  modifiedMs: number;
}

export async function fileVersion(path: string): Promise<FileVersion> {
  const s = await stat(path);
  return { size: s.size, modifiedMs: s.mtimeMs };
}

/**
 * Refuses to go on when a file is not the version that was planned: its chunks' byte offsets
 * would cut the new content at random places. Size and mtime (to the millisecond, as stored).
 */
export async function assertUnchanged(path: string, expected: FileVersion, when: string): Promise<void> {
  let now: FileVersion;
  try {
    now = await fileVersion(path);
  } catch (err) {
    throw new ContractError(`${path}: the file is gone ${when} (${(err as Error).message}); put it back, or send it again as a new file`, { cause: err });
  }
  if (now.size !== expected.size || Math.abs(now.modifiedMs - expected.modifiedMs) >= 1) {
    throw new ContractError(
      `${path}: the file changed ${when} (size ${expected.size} → ${now.size} bytes, modified ${new Date(expected.modifiedMs).toISOString()} → ${new Date(now.modifiedMs).toISOString()}); a file must not change once it is in the landing folder — send the new version as a new file`,
    );
  }
}
