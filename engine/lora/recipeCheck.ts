import { existsSync } from 'node:fs';
import { loraHash } from './hashes.ts';
import { findLora } from './library.ts';

interface RecordedLora { readonly name: string; readonly file: string; readonly hash: string }

/**
 * Which LoRAs a recipe names that cannot be found with the same A1111 hash: at the recorded
 * path, or by name in the models folder. Empty (absent) when all are there.
 */
export async function missingLoras(loras: readonly RecordedLora[] | undefined, modelsDir: string): Promise<{ missingLoras?: Array<{ name: string; hash: string }> }> {
  if (!loras?.length) return {};
  const missing: Array<{ name: string; hash: string }> = [];
  for (const l of loras) {
    const candidates = [l.file, await findLora(l.name, modelsDir).catch(() => '')].filter((f) => f && existsSync(f));
    let found = false;
    for (const f of candidates) if ((await loraHash(f).catch(() => '')) === l.hash) found = true;
    if (!found) missing.push({ name: l.name, hash: l.hash });
  }
  return missing.length ? { missingLoras: missing } : {};
}
