import { expectedTextEncoderTensors } from '../clip/shapes.ts';
import { type UNetShapes, expectedUNetTensors } from '../unet/shapes.ts';
import { expectedVAETensors } from '../vae/shapes.ts';
import type { VAEConfig } from '../spec.ts';

/** SDXL base 1.0's UNet as sd_xl_base.yaml states it (2.57 B parameters). */
export function sdxlBaseUNetShapes(): UNetShapes {
  return {
    inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4], numResBlocks: 2,
    attentionLevels: [1, 2], attentionResolutions: [2, 4], midBlockAttention: true,
    transformerDepth: [0, 2, 10], midTransformerDepth: 10, contextDim: 2048, useLinearProjection: true,
    timeEmbedDim: 1280, admInChannels: 2816,
  };
}

const KL_F8: VAEConfig = { inChannels: 3, outChannels: 3, ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true };

/** open_clip's names for a text tower of `layers` residual blocks, `width` wide, with its projection to `proj`. */
function openClipTextKeys(prefix: string, layers: number, width: number, proj: number): Map<string, number[]> {
  const m = new Map<string, number[]>([
    [`${prefix}token_embedding.weight`, [49408, width]],
    [`${prefix}positional_embedding`, [77, width]],
    [`${prefix}ln_final.weight`, [width]],
    [`${prefix}ln_final.bias`, [width]],
    [`${prefix}text_projection`, [width, proj]],
    [`${prefix}logit_scale`, []],
  ]);
  for (let i = 0; i < layers; i++) {
    const b = `${prefix}transformer.resblocks.${i}.`;
    for (const n of ['ln_1', 'ln_2']) {
      m.set(`${b}${n}.weight`, [width]);
      m.set(`${b}${n}.bias`, [width]);
    }
    m.set(`${b}attn.in_proj_weight`, [3 * width, width]);
    m.set(`${b}attn.in_proj_bias`, [3 * width]);
    m.set(`${b}attn.out_proj.weight`, [width, width]);
    m.set(`${b}attn.out_proj.bias`, [width]);
    m.set(`${b}mlp.c_fc.weight`, [4 * width, width]);
    m.set(`${b}mlp.c_fc.bias`, [4 * width]);
    m.set(`${b}mlp.c_proj.weight`, [width, 4 * width]);
    m.set(`${b}mlp.c_proj.bias`, [width]);
  }
  return m;
}

/**
 * Every tensor of `sd_xl_base_1.0.safetensors` in its own single-file layout (2515 tensors:
 * UNet 1680, CLIP-L 197 with position_ids, bigG 390, VAE 248) — for header-level tests and a
 * full-size random-weight benchmark file. `position_ids` is int64; the rest is stored as F16.
 */
export function sdxlBaseCheckpointKeys(): Map<string, { shape: number[]; dtype: 'F16' | 'I64' }> {
  const out = new Map<string, { shape: number[]; dtype: 'F16' | 'I64' }>();
  const add = (prefix: string, m: Map<string, number[]>) => m.forEach((shape, k) => out.set(`${prefix}${k}`, { shape, dtype: 'F16' }));
  add('model.diffusion_model.', expectedUNetTensors(sdxlBaseUNetShapes()));
  add('first_stage_model.', expectedVAETensors(KL_F8));
  const clipL = { vocabSize: 49408, hiddenSize: 768, numLayers: 12, intermediateSize: 3072, maxPositions: 77, hasPositionIds: true };
  add('conditioner.embedders.0.transformer.text_model.', expectedTextEncoderTensors(clipL));
  out.set('conditioner.embedders.0.transformer.text_model.embeddings.position_ids', { shape: [1, 77], dtype: 'I64' });
  add('', openClipTextKeys('conditioner.embedders.1.model.', 32, 1280, 1280));
  return out;
}
