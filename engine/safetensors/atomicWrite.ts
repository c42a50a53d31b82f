import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { toStudioError } from '../api/errors.ts';

/**
 * Writes a file through a temporary name and renames it into place, so a full disk or a
 * crash never leaves a truncated checkpoint where a good one (or none) was.
 */
export async function writeAtomically(path: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fill(fh);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw toStudioError(e);
  }
}
