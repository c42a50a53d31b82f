import { createHash } from 'node:crypto';
import type { TextEmbedding } from '../models/clip/textEncoder.ts';
import { invertDdim } from '../schedulers/inversion.ts';
import { guidedModel } from './guidance.ts';
import type { ModelBundle } from './modelBundle.ts';

/** z*_0..z*_N of one photo; sampling step k of an N-step run lands on `latents[N − k − 1]`. */
export interface StoredInversion {
  readonly latents: readonly Float32Array[];
}

export interface InversionKey {
  /** The photo as the VAE saw it (working-size 8-bit RGB). */
  pixels: Uint8Array;
  width: number;
  height: number;
  model: string;
  prompt: string;
  steps: number;
  cfg: number;
}

/** A few photos stay inverted: editing the same photo again is the common case. */
const KEEP = 4;
const cache = new Map<string, Promise<StoredInversion>>();
let hits = 0;

export function inversionCacheKey(k: InversionKey): string {
  const h = createHash('sha256').update(k.pixels).digest('hex').slice(0, 32);
  return JSON.stringify([h, k.width, k.height, k.model, k.prompt, k.steps, k.cfg]);
}

/** How many inversions were served from memory (for tests and diagnostics). */
export const inversionCacheHits = (): number => hits;

export function clearInversionCache(): void {
  cache.clear();
}

/**
 * Deterministic DDIM inversion of a photo's latent under the source prompt, guidance 1
 * (cond only), as Direct Inversion prescribes. The edit's source branch is pinned to these
 * latents step by step, so its reconstruction is exact whatever the guidance scale.
 * `cfg` is part of the key because the offsets an edit derives from them depend on it.
 */
export function invertPhoto(
  bundle: ModelBundle,
  key: InversionKey,
  x0: Float32Array,
  cond: TextEmbedding,
  dims: readonly number[],
  signal?: AbortSignal,
  onStep?: (done: number, count: number) => void,
): Promise<StoredInversion> {
  const id = inversionCacheKey(key);
  const known = cache.get(id);
  if (known) {
    hits++;
    cache.delete(id);
    cache.set(id, known);
    return known;
  }
  const run = (async () => {
    // cfg 1 makes guidedModel run the conditional branch alone; the uncond is never read.
    const model = guidedModel(bundle.denoiser, { context: cond }, { context: cond }, 1, dims);
    const r = await invertDdim({
      x0, model, steps: key.steps, schedule: bundle.schedule, parameterization: bundle.spec.prediction, signal,
      onStep: onStep ? (i) => onStep(i.step + 1, i.count) : undefined,
    });
    return { latents: r.latents };
  })();
  run.catch(() => cache.delete(id));
  cache.set(id, run);
  while (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  return run;
}
