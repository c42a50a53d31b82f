import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { readSafetensorsHeader } from '../safetensors/index.ts';

function sha256OfFile(path: string, start = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { start }).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

const cache = new Map<string, Promise<string>>();
const once = (key: string, make: () => Promise<string>) => {
  let p = cache.get(key);
  if (!p) {
    p = make();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
};

/**
 * A1111's LoRA hash (`Lora hashes` in infotext): the file's `sshs_model_hash` metadata when
 * present, else the "addnet" hash — SHA-256 of the bytes after the safetensors header, so
 * editing the metadata keeps the hash — cut to its first 12 hex digits.
 */
export function loraHash(path: string): Promise<string> {
  return once(`lora|${path}`, async () => {
    if (!path.endsWith('.safetensors')) return (await sha256OfFile(path)).slice(0, 12);
    const header = await readSafetensorsHeader(path);
    const recorded = header.metadata.sshs_model_hash;
    return (recorded && /^[0-9a-f]{12,}$/i.test(recorded) ? recorded.toLowerCase() : await sha256OfFile(path, header.dataStart)).slice(0, 12);
  });
}

/** A1111's textual-inversion hash (`TI hashes`): SHA-256 of the whole file, first 12 hex digits. */
export function embeddingHash(path: string): Promise<string> {
  return once(`ti|${path}`, async () => (await sha256OfFile(path)).slice(0, 12));
}

/** `name: hash, name: hash` as A1111 writes it (names lose `:` and `,`). */
export function formatHashes(entries: ReadonlyArray<{ readonly name: string; readonly hash: string }>): string {
  return entries.map((e) => `${e.name.replace(/[:,]/g, '')}: ${e.hash}`).join(', ');
}

/** The inverse of formatHashes. */
export function parseHashes(text: string): Array<{ name: string; hash: string }> {
  return text.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const at = p.lastIndexOf(':');
    return { name: p.slice(0, at).trim(), hash: p.slice(at + 1).trim() };
  });
}
