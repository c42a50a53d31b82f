import type { AttentionSite } from '../site.ts';
import { decoderBlockOf } from './layers.ts';

/** Bytes each way of keeping what style injection needs between inversion and sampling (ALGORITHMS §4.4). */
export interface StyleInjectionMemory {
  /** What this engine keeps: the content and style inversion latents, steps + 1 each (fp32). */
  cachedLatentsBytes: number;
  /** What the reference keeps instead: Q_c, K_s, V_s of every injected layer at every step (fp32). */
  featureCacheBytes: number;
}

/** For a latent of `latentH`×`latentW` with `channels`, `steps` DDIM steps and the injected layers. */
export function styleInjectionMemory(sites: readonly AttentionSite[], layers: readonly number[], latent: { channels: number; height: number; width: number }, steps: number): StyleInjectionMemory {
  const chosen = sites.filter((s) => s.kind === 'self' && layers.includes(decoderBlockOf(s) ?? -1));
  const perStep = chosen.reduce((sum, s) => {
    const tokens = Math.ceil(latent.height / s.grid.downsample) * Math.ceil(latent.width / s.grid.downsample);
    return sum + 3 * tokens * s.channels;
  }, 0);
  return {
    cachedLatentsBytes: 2 * (steps + 1) * latent.channels * latent.height * latent.width * 4,
    featureCacheBytes: perStep * steps * 4,
  };
}
