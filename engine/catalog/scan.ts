import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';
import { EMBEDDING_FOLDERS, LORA_FOLDERS } from '../lora/library.ts';

export interface ModelCandidate {
  path: string;
  name: string;
  kind: 'single-file' | 'diffusers-folder';
  sizeBytes: number;
}

/** A folder or file the scan could not look into, and why (an unreadable `lost+found`, a dangling link). */
export interface SkippedEntry {
  path: string;
  code: string;
  reason: string;
}

export interface ScanResult {
  found: ModelCandidate[];
  skipped: SkippedEntry[];
}

/** How deep a models folder is searched (users nest by family or author). */
const MAX_DEPTH = 3;
const NETWORK_FOLDERS = [...LORA_FOLDERS, ...EMBEDDING_FOLDERS];

/** Bytes under `dir`; subfolders that cannot be read count as empty rather than failing the total. */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderSize(full);
    else if (entry.isFile()) total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}

function skip(path: string, e: unknown): SkippedEntry {
  const code = (e as NodeJS.ErrnoException).code ?? toStudioError(e).code;
  return { path, code, reason: `${path} cannot be read (${code}); skipped` };
}

/**
 * Finds models in a folder: `.safetensors` files and diffusers folders (those with a
 * `model_index.json`), following symbolic links. TAESD decoders/encoders are listed too;
 * their detection says what they are. One unreadable subfolder is skipped with its reason
 * rather than failing the whole list.
 */
export async function scanModelsFolder(dir: string): Promise<ScanResult> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new StudioError('NOT_FOUND', `Models folder ${dir} does not exist`);
  const found: ModelCandidate[] = [];
  const skipped: SkippedEntry[] = [];
  const walk = async (current: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (e) {
      if (depth === 0) throw new StudioError('NOT_FOUND', `Models folder ${dir} cannot be read (${(e as NodeJS.ErrnoException).code})`);
      skipped.push(skip(current, e));
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'model_index.json')) {
      found.push({ path: current, name: basename(current), kind: 'diffusers-folder', sizeBytes: await folderSize(current) });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(current, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let size: number | undefined;
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(full);
          isDir = target.isDirectory();
          isFile = target.isFile();
          size = target.size;
        } catch (e) {
          if (entry.name.endsWith('.safetensors')) skipped.push(skip(full, e));
          continue;
        }
      }
      // LoRA and embedding files are listed apart (catalog/networks.ts), never as models.
      if (isDir && depth === 0 && NETWORK_FOLDERS.includes(entry.name)) continue;
      if (isDir && depth < MAX_DEPTH) await walk(full, depth + 1);
      else if (isFile && entry.name.endsWith('.safetensors')) {
        try {
          size ??= (await stat(full)).size;
        } catch (e) {
          skipped.push(skip(full, e));
          continue;
        }
        found.push({ path: full, name: entry.name.replace(/\.safetensors$/, ''), kind: 'single-file', sizeBytes: size });
      }
    }
  };
  await walk(dir, 0);
  return { found: found.sort((a, b) => a.path.localeCompare(b.path)), skipped };
}

/** The models in a folder; what had to be skipped is reported as a process warning. */
export async function scanModelsDir(dir: string): Promise<ModelCandidate[]> {
  const { found, skipped } = await scanModelsFolder(dir);
  for (const s of skipped) process.emitWarning(s.reason, { code: 'LATENT_STUDIO_SCAN_SKIPPED' });
  return found;
}
