import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { loraFile } from './apply.ts';

/** Folders (under the models folder) LoRA files are looked for in, as A1111 and ComfyUI lay them out. */
export const LORA_FOLDERS = ['loras', 'Lora', 'lora', 'LyCORIS'];
export const EMBEDDING_FOLDERS = ['embeddings'];

async function listFiles(dir: string, exts: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isFile() && exts.includes(extname(e.name).toLowerCase())) out.push(join(e.parentPath ?? dir, e.name));
  }
  return out.sort();
}

/** Every LoRA file under the models folder's LoRA folders. */
export async function listLoraFiles(modelsDir: string): Promise<string[]> {
  return (await Promise.all(LORA_FOLDERS.map((f) => listFiles(join(modelsDir, f), ['.safetensors'])))).flat();
}

/** Every textual-inversion file under the models folder's `embeddings/` (or in `dir` itself when `isFolder`). */
export async function listEmbeddingFiles(dir: string, isFolder = false): Promise<string[]> {
  const folders = isFolder ? [dir] : EMBEDDING_FOLDERS.map((f) => join(dir, f));
  return (await Promise.all(folders.map((f) => listFiles(f, ['.safetensors'])))).flat();
}

/**
 * The LoRA a prompt's `<lora:NAME:…>` means: a file whose stem is NAME, else one whose
 * `ss_output_name` is NAME (A1111's alias). A path is taken as it is.
 */
export async function findLora(name: string, modelsDir: string): Promise<string> {
  if (/[\\/]/.test(name) || name.endsWith('.safetensors')) return name;
  const files = await listLoraFiles(modelsDir);
  const byStem = files.find((f) => basename(f, extname(f)) === name);
  if (byStem) return byStem;
  for (const f of files) {
    const meta = (await loraFile(f).catch(() => undefined))?.metadata;
    if (meta?.ss_output_name === name) return f;
  }
  throw new StudioError('NOT_FOUND', `No LoRA named ${name} in ${LORA_FOLDERS.map((d) => join(modelsDir, d)).join(', ')}`, { lora: name });
}
