import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';

/**
 * Stable identity of a checkpoint file without reading its data: real path, size, mtime and
 * inode. A re-saved or replaced file gets a new identity, so caches keyed on it never serve
 * a graph or a session built for the old bytes.
 */
export function fileIdentity(file: string): string {
  const st = statSync(file);
  return sha256(`${realpathSync(file)}|${st.size}|${st.mtimeMs}|${st.ino}`).slice(0, 16);
}

/** Identity of a checkpoint spread over one or more files (order-independent). */
export function checkpointIdentity(files: readonly string[]): string {
  return sha256([...new Set(files)].map(fileIdentity).sort().join('|')).slice(0, 16);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
