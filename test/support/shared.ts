import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The reference data folder that sits beside the repository (../shared). */
export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared');

export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/**
 * True when ../shared/<parts> exists. Tests that need reference data use
 * `describe.skipIf(!hasShared('golden'))` and print why they skipped.
 */
export function hasShared(...parts: string[]): boolean {
  const ok = existsSync(sharedPath(...parts));
  if (!ok) {
    console.warn(`[skip] ../shared/${parts.join('/')} is absent: reference-data tests are skipped on this clone.`);
  }
  return ok;
}
