import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { EmbeddingEntry, LoraEntry } from '../api/schemas.ts';
import { loraFile } from '../lora/apply.ts';
import { listEmbeddingFiles, listLoraFiles } from '../lora/library.ts';
import { FAMILY_LABELS, loraFamily } from '../lora/nameTables.ts';
import { moduleInputWidth } from '../lora/resolve.ts';
import { readSafetensorsHeader } from '../safetensors/index.ts';

/** The most frequent training tags (sd-scripts' `ss_tag_frequency`: {dataset: {tag: count}}). */
export function triggerWords(metadata: Readonly<Record<string, string>>, limit = 8): string[] {
  const raw = metadata.ss_tag_frequency;
  if (!raw) return [];
  let parsed: Record<string, Record<string, number>>;
  try {
    parsed = JSON.parse(raw) as Record<string, Record<string, number>>;
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const tags of Object.values(parsed)) for (const [tag, n] of Object.entries(tags ?? {})) counts.set(tag.trim(), (counts.get(tag.trim()) ?? 0) + Number(n));
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([t]) => t);
}

/** The LoRA files of a models folder with what their headers tell: family, rank, targets, trigger words. */
export async function describeLoras(modelsDir: string): Promise<LoraEntry[]> {
  const out: LoraEntry[] = [];
  for (const path of await listLoraFiles(modelsDir)) {
    const sizeBytes = (await stat(path)).size;
    try {
      const f = await loraFile(path);
      const modules = [...f.modules.values()];
      const family = loraFamily(f.metadata, f.modules, (n) => moduleInputWidth(f.modules.get(n)!));
      const ranks = [...new Set(modules.map((m) => m.rank))].sort((a, b) => a - b);
      const unet = modules.filter((m) => /^(lora_unet_|unet\.|lora_transformer_|transformer\.)/.test(m.name)).length;
      out.push({
        name: f.name, path, sizeBytes, format: f.format, kinds: [...new Set(modules.map((m) => m.kind))],
        family: family ?? null, familyLabel: family ? FAMILY_LABELS[family] : null,
        ranks, modules: modules.length, targets: { unet, text: modules.length - unet },
        outputName: f.metadata.ss_output_name ?? null, triggerWords: triggerWords(f.metadata), error: null,
      });
    } catch (e) {
      out.push({
        name: basename(path, extname(path)), path, sizeBytes, format: null, kinds: [], family: null, familyLabel: null, ranks: [], modules: 0,
        targets: { unet: 0, text: 0 }, outputName: null, triggerWords: [], error: (e as Error).message,
      });
    }
  }
  return out;
}

const WIDTH_FAMILY: Record<number, 'sd1' | 'sd2'> = { 768: 'sd1', 1024: 'sd2' };

/** The textual-inversion files of a models folder: vectors, width and the family that width means. */
export async function describeEmbeddings(modelsDir: string): Promise<EmbeddingEntry[]> {
  const out: EmbeddingEntry[] = [];
  for (const path of await listEmbeddingFiles(modelsDir)) {
    const name = basename(path, extname(path));
    try {
      const h = await readSafetensorsHeader(path);
      if (h.tensors.has('clip_l') && h.tensors.has('clip_g')) {
        out.push({ name, path, vectors: h.tensors.get('clip_l')!.shape[0] ?? 1, width: 768, family: 'sdxl', error: null });
        continue;
      }
      const t = h.tensors.get('emb_params') ?? [...h.tensors.values()][0];
      const width = t.shape[t.shape.length - 1];
      out.push({ name, path, vectors: t.shape.length === 2 ? t.shape[0] : 1, width, family: WIDTH_FAMILY[width] ?? null, error: null });
    } catch (e) {
      out.push({ name, path, vectors: 0, width: 0, family: null, error: (e as Error).message });
    }
  }
  return out;
}
