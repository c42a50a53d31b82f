import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StudioError } from '../api/errors.ts';

export interface ModelCandidate {
  path: string;
  name: string;
  kind: 'single-file' | 'diffusers-folder';
  sizeBytes: number;
}

/** How deep a models folder is searched (users nest by family or author). */
const MAX_DEPTH = 3;

export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/**
 * Finds models in a folder: `.safetensors` files and diffusers folders (those with a
 * `model_index.json`). TAESD decoders/encoders are listed too; their detection says what they are.
 */
export async function scanModelsDir(dir: string): Promise<ModelCandidate[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new StudioError('NOT_FOUND', `Models folder ${dir} does not exist`);
  const found: ModelCandidate[] = [];
  const walk = async (current: string, depth: number): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'model_index.json')) {
      found.push({ path: current, name: basename(current), kind: 'diffusers-folder', sizeBytes: await folderSize(current) });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(current, entry.name);
      if (entry.isDirectory() && depth < MAX_DEPTH) await walk(full, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.safetensors')) {
        found.push({ path: full, name: entry.name.replace(/\.safetensors$/, ''), kind: 'single-file', sizeBytes: (await stat(full)).size });
      }
    }
  };
  await walk(dir, 0);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}
