import { basename, extname } from 'node:path';
import type { Settings } from '../api/schemas.ts';
import type { LoraMode } from '../lora/adapters.ts';
import { applyLoras } from '../lora/apply.ts';
import { formatHashes, loraHash } from '../lora/hashes.ts';
import { findLora } from '../lora/library.ts';
import { embeddingHashes, embeddingsIn, loadEmbeddings } from '../lora/embeddings.ts';
import { loadTextEncoder } from '../models/clip/textEncoder.ts';
import { loadDenoiser } from '../models/families/loadDenoiser.ts';
import { loraTags } from '../tokenizer/promptSyntax.ts';
import type { Recipe } from '../studio/results/store.ts';
import { guardTextEncoder } from './finite.ts';
import { StudioError } from '../api/errors.ts';
import { clipConditioner } from './conditioner.ts';
import { type ModelBundle, requireStableDiffusion, runtimeFromSettings } from './modelBundle.ts';

/** A LoRA a request names (the studio's picker), besides the prompt's `<lora:…>` tags. */
export interface LoraChoice {
  readonly name: string;
  readonly scale: number;
}

/** One LoRA as a result records it: what a replay needs to find the same file. */
export interface UsedLora {
  readonly name: string;
  readonly file: string;
  readonly hash: string;
  readonly scale: number;
}

export interface RunLoras {
  /** The bundle with LoRA'd text encoder and denoiser (the bundle itself when none). */
  readonly bundle: ModelBundle;
  readonly used: readonly UsedLora[];
  /** A1111 infotext pairs (`Lora hashes`). */
  readonly parameters: Record<string, string>;
}

/**
 * The LoRAs of a request — `<lora:name:m>` tags of its prompt, then the picker's choices (the
 * picker wins for a name given twice) — found in the models folder and bound to the bundle's
 * networks. The multipliers are feeds, so a request that only moves them compiles nothing.
 */
export async function withRequestLoras(
  bundle: ModelBundle,
  request: { prompt?: string; negativePrompt?: string; loras?: readonly LoraChoice[]; embeddingsDir?: string; loraMode?: LoraMode },
  settings: Settings,
): Promise<RunLoras> {
  const chosen = new Map<string, number>();
  for (const t of loraTags(request.prompt ?? '')) chosen.set(t.name, t.multiplier);
  for (const c of request.loras ?? []) chosen.set(c.name, c.scale);
  if (bundle.spec.family === 'pixart') {
    if (chosen.size) {
      throw new StudioError('INVALID_REQUEST', `LoRAs (${[...chosen.keys()].join(', ')}) are read for Stable Diffusion's UNet and CLIP; ${bundle.name} is a PixArt diffusion transformer`, { model: bundle.path, family: 'pixart' });
    }
    return { bundle, used: [], parameters: {} };
  }
  const sd = requireStableDiffusion(bundle, 'LoRAs and embeddings');
  const width = sd.textEncoder.hiddenSize;
  const available = await loadEmbeddings(request.embeddingsDir ? { folder: request.embeddingsDir } : { modelsDir: settings.modelsDir }, width);
  const embeddings = embeddingsIn([request.prompt ?? '', request.negativePrompt ?? ''], available);
  if (!chosen.size && !embeddings.length) return { bundle: sd, used: [], parameters: {} };
  const used = await Promise.all([...chosen].map(async ([name, scale]): Promise<UsedLora> => {
    const file = await findLora(name, settings.modelsDir);
    // A path (the CLI's --lora) is named by its stem, as a tag would name it.
    const label = /[\\/]/.test(name) ? basename(name, extname(name)) : name;
    return { name: label, file, hash: await loraHash(file), scale };
  }));
  const applied = await applyLoras(sd.spec, used.map((u) => ({ path: u.file, scale: u.scale })), request.loraMode);
  const rt = runtimeFromSettings(settings);
  const newEncoder = applied.text || embeddings.length;
  const textEncoder = newEncoder ? await loadTextEncoder(sd.spec, { ...rt, lora: applied.text, embeddings }) : sd.textEncoder;
  const denoiser = applied.unet ? await loadDenoiser(sd.spec, { runtime: rt, lora: applied.unet }) : sd.denoiser;
  // Only the new text encoder needs the NaN guard; the rest of the bundle is guarded already.
  const guarded = newEncoder ? guardTextEncoder(textEncoder) : textEncoder;
  const parameters: Record<string, string> = {
    ...(used.length ? { 'Lora hashes': formatHashes(used) } : {}),
    ...(embeddings.length ? { 'TI hashes': formatHashes(await embeddingHashes(embeddings)) } : {}),
  };
  // The conditioner reads the text encoder: a LoRA'd or TI encoder needs its own.
  return { bundle: { ...sd, textEncoder: guarded, denoiser, conditioner: clipConditioner(guarded, sd.tokenizer) }, used, parameters };
}

/** The result's metadata with the LoRA files named in its recipe (what a replay must find again). */
export function withLoraRecipe<M extends { recipe: Recipe }>(meta: M, used: readonly UsedLora[]): M {
  return used.length ? { ...meta, recipe: { ...meta.recipe, loras: used.map((u) => ({ ...u })) } } : meta;
}
