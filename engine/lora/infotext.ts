import type { Recipe } from '../pipelines/parameters.ts';
import { loraTags } from '../tokenizer/promptSyntax.ts';
import { parseHashes } from './hashes.ts';

export interface InfotextNetworks {
  /** `<lora:name:m>` tags of the prompt, with the hash `Lora hashes` gives for the name. */
  loras: Array<{ name: string; multiplier: number; hash: string | null }>;
  /** `TI hashes`: embedding name → hash. */
  embeddings: Array<{ name: string; hash: string }>;
}

/** The LoRAs and embeddings an A1111 `parameters` text names. */
export function infotextNetworks(r: Recipe): InfotextNetworks {
  const extra = r.extra ?? {};
  const hashes = new Map(parseHashes(String(extra['Lora hashes'] ?? '')).map((h) => [h.name, h.hash]));
  const loras = loraTags(r.prompt).map((t) => ({ name: t.name, multiplier: t.multiplier, hash: hashes.get(t.name.replace(/[:,]/g, '')) ?? null }));
  // A LoRA listed in the hashes but not tagged in the prompt came from elsewhere (a picker): keep it.
  for (const [name, hash] of hashes) if (!loras.some((l) => l.name.replace(/[:,]/g, '') === name)) loras.push({ name, multiplier: 1, hash });
  return { loras, embeddings: parseHashes(String(extra['TI hashes'] ?? '')) };
}
