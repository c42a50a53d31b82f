import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { studioHome } from '../paths.ts';
import { writeBytesAtomically } from '../safetensors/atomicWrite.ts';

type HashCache = Record<string, { size: number; mtimeMs: number; sha256: string }>;

const cacheFile = () => join(studioHome(), 'model-hashes.json');
let memory: HashCache | null = null;

async function loadCache(): Promise<HashCache> {
  if (memory) return memory;
  try {
    memory = JSON.parse(await readFile(cacheFile(), 'utf8')) as HashCache;
  } catch {
    memory = {};
  }
  return memory;
}

/**
 * The checkpoint hash AUTOMATIC1111 records as "Model hash": the first 10 hex digits of the
 * file's SHA-256. Hashing gigabytes takes seconds, so results are cached by path, size and
 * modification time. Folders (diffusers) have no such hash: null.
 */
export async function modelHash(path: string): Promise<string | null> {
  const info = await stat(path);
  if (!info.isFile()) return null;
  const cache = await loadCache();
  const hit = cache[path];
  if (hit && hit.size === info.size && hit.mtimeMs === info.mtimeMs) return hit.sha256.slice(0, 10);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  cache[path] = { size: info.size, mtimeMs: info.mtimeMs, sha256 };
  // The cache is an optimisation: failing to write it (read-only home, full disk) is not an error.
  await mkdir(studioHome(), { recursive: true }).then(() => writeBytesAtomically(cacheFile(), JSON.stringify(cache)), () => undefined).catch(() => undefined);
  return sha256.slice(0, 10);
}
