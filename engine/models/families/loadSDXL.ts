import type { Conditioning } from '../../denoiser/denoiser.ts';
import { tokenizerFor } from '../../tokenizer/forModel.ts';
import { type SDXLTextEmbedding, type SDXLTextEncoders, type SDXLTextRuntime, type SDXLTokenizers, loadSDXLTextEncoders } from '../clip/sdxlTextEncoder.ts';
import type { SDXLMicroCondition, SDXLSpec } from '../spec.ts';
import { type LoadUNetOptions, type UNetRunner, loadUNet } from '../unet/runner.ts';
import { microExtras } from '../unet/vectorConditioning.ts';
import { type VAEModel, vaeFromSpec } from '../vae/vae.ts';

/**
 * What a pipeline needs to run an SDXL checkpoint, loaded from its detected spec: the two
 * tokenizers, the text towers, the UNet as a Denoiser and the VAE model (scale 0.13025).
 * Pipelines build each step's Conditioning with `sdxlConditioning`.
 */
export interface SDXLNetworks {
  spec: SDXLSpec;
  tokenizers: SDXLTokenizers;
  text: SDXLTextEncoders;
  denoiser: UNetRunner;
  vae: VAEModel;
}

export async function loadSDXL(spec: SDXLSpec, checkpoint: string, options: { text?: SDXLTextRuntime; unet?: LoadUNetOptions } = {}): Promise<SDXLNetworks> {
  const [tokenizers, text, denoiser] = await Promise.all([
    sdxlTokenizers(spec, checkpoint),
    loadSDXLTextEncoders(spec, options.text),
    loadUNet(spec, options.unet),
  ]);
  return { spec, tokenizers, text, denoiser, vae: vaeFromSpec(spec) };
}

/**
 * CLIP-L's tokenizer pads with EOS, bigG's (open_clip; diffusers `tokenizer_2`, whose pad
 * token "!" is id 0) with 0; the BPE is the same, bundled where the checkpoint ships none.
 */
export async function sdxlTokenizers(spec: Pick<SDXLSpec, 'tokenizerDir' | 'tokenizer2Dir'>, checkpoint?: string): Promise<SDXLTokenizers> {
  const [clipL, clipG] = await Promise.all([
    tokenizerFor({ family: 'sd1', ...(spec.tokenizerDir ? { tokenizerDir: spec.tokenizerDir } : {}), ...(checkpoint ? { checkpoint } : {}) }),
    tokenizerFor({ family: 'sd2', ...(spec.tokenizer2Dir ? { tokenizerDir: spec.tokenizer2Dir } : {}), ...(checkpoint ? { checkpoint } : {}) }),
  ]);
  return { clipL, clipG };
}

/** Micro-conditions of one image; omitted ones default to the latent's image size, no crop and aesthetic score 6. */
export type SDXLMicroValues = Partial<Record<SDXLMicroCondition, readonly number[]>>;

/**
 * The Conditioning record of a batch for the SDXL UNet: `context` and `pooled` from the text
 * encoders (one row per image, e.g. [uncond, cond] stacked by the caller), the
 * micro-conditions as `extra` under their sgm names; the UNet builds y from them.
 */
export function sdxlConditioning(text: SDXLTextEmbedding, micro: readonly SDXLMicroValues[] = []): Conditioning {
  const extra = micro.length ? microExtras(micro) : {};
  return { context: text.context, pooled: text.pooled, ...(Object.keys(extra).length ? { extra } : {}) };
}
