import { expectedUNetTensors, type UNetShapes } from '../../../engine/models/unet/shapes.ts';
import { expectedVAETensors } from '../../../engine/models/vae/shapes.ts';
import type { SafetensorsDType } from '../../../engine/safetensors/types.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { writeHeaderOnly } from '../fixtures.ts';

/** UNet shapes of a tiny SD 2.x-style network: linear projections, 64-channel heads (1 and 2 heads). */
export function tinySD2Shapes(inChannels = 4): UNetShapes {
  return {
    inChannels, outChannels: 4, modelChannels: 64, channelMult: [1, 2, 2], numResBlocks: 1,
    attentionLevels: [0, 1], attentionResolutions: [1, 2], midBlockAttention: true,
    transformerDepth: [1, 1, 0], midTransformerDepth: 1, contextDim: 32, useLinearProjection: true, timeEmbedDim: 256, admInChannels: 0,
  };
}

/** SD 1.5's UNet at full size (860M parameters). */
export function sd15Shapes(): UNetShapes {
  return {
    inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4, 4], numResBlocks: 2,
    attentionLevels: [0, 1, 2], attentionResolutions: [1, 2, 4], midBlockAttention: true,
    transformerDepth: [1, 1, 1, 0], midTransformerDepth: 1, contextDim: 768, useLinearProjection: false, timeEmbedDim: 1280, admInChannels: 0,
  };
}

/**
 * Just enough VAE and text tower for detection to accept the file (their widths do not
 * matter to the UNet). The text tower is OpenCLIP-named for sd2 (which makes the family
 * SD 2.x: 64-channel heads), transformers-named for sd1 (8 heads).
 */
function companionTensors(family: 'sd1' | 'sd2'): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const vae = expectedVAETensors({ inChannels: 3, outChannels: 3, ch: 32, chMult: [1], numResBlocks: 1, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true });
  vae.forEach((s, k) => out.set(`first_stage_model.${k}`, s));
  const D = 64; // one 64-wide head; detection does not tie it to the UNet's context width
  if (family === 'sd2') {
    const p = 'cond_stage_model.model.';
    out.set(`${p}token_embedding.weight`, [16, D]);
    out.set(`${p}positional_embedding`, [77, D]);
    for (let i = 0; i < 2; i++) {
      const l = `${p}transformer.resblocks.${i}.`;
      for (const n of ['ln_1', 'ln_2']) { out.set(`${l}${n}.weight`, [D]); out.set(`${l}${n}.bias`, [D]); }
      out.set(`${l}attn.in_proj_weight`, [3 * D, D]); out.set(`${l}attn.in_proj_bias`, [3 * D]);
      out.set(`${l}attn.out_proj.weight`, [D, D]); out.set(`${l}attn.out_proj.bias`, [D]);
      out.set(`${l}mlp.c_fc.weight`, [4 * D, D]); out.set(`${l}mlp.c_fc.bias`, [4 * D]);
      out.set(`${l}mlp.c_proj.weight`, [D, 4 * D]); out.set(`${l}mlp.c_proj.bias`, [D]);
    }
    out.set(`${p}ln_final.weight`, [D]); out.set(`${p}ln_final.bias`, [D]);
  } else {
    const p = 'cond_stage_model.transformer.text_model.';
    out.set(`${p}embeddings.token_embedding.weight`, [16, D]);
    out.set(`${p}embeddings.position_embedding.weight`, [77, D]);
    const l = `${p}encoder.layers.0.`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) { out.set(`${l}self_attn.${n}.weight`, [D, D]); out.set(`${l}self_attn.${n}.bias`, [D]); }
    for (const n of ['layer_norm1', 'layer_norm2']) { out.set(`${l}${n}.weight`, [D]); out.set(`${l}${n}.bias`, [D]); }
    out.set(`${l}mlp.fc1.weight`, [4 * D, D]); out.set(`${l}mlp.fc1.bias`, [4 * D]);
    out.set(`${l}mlp.fc2.weight`, [D, 4 * D]); out.set(`${l}mlp.fc2.bias`, [D]);
    out.set(`${p}final_layer_norm.weight`, [D]); out.set(`${p}final_layer_norm.bias`, [D]);
  }
  return out;
}

export function syntheticKeys(family: 'sd1' | 'sd2', unet: UNetShapes): Map<string, number[]> {
  const out = companionTensors(family);
  expectedUNetTensors(unet).forEach((s, k) => out.set(`model.diffusion_model.${k}`, s));
  return out;
}

/** Seeded N(0, 1) source (mulberry32 + Box–Muller): the same file every run. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Random weights drawn like the golden checkpoint's: weights N(0, 1/fan_in), biases
 * N(0, 0.05²), norm scales 1 + N(0, 0.1²) — so every branch contributes.
 */
export async function writeRandomCheckpoint(path: string, keys: Map<string, number[]>, dtype: SafetensorsDType = 'F32', seed = 7): Promise<void> {
  const rand = gaussian(seed);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, shape] of keys) {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    const isNormScale = shape.length === 1 && name.endsWith('.weight');
    const std = shape.length >= 2 ? 1 / Math.sqrt(shape.slice(1).reduce((a, d) => a * d, 1)) : isNormScale ? 0.1 : 0.05;
    for (let i = 0; i < n; i++) data[i] = (isNormScale ? 1 : 0) + std * rand();
    tensors.set(name, { dtype, shape, data });
  }
  await writeSafetensors(path, tensors, { format: 'pt' });
}

/** A full-size file whose data region is a sparse hole (all zeros): for timing, where values do not matter. */
export async function writeZeroCheckpoint(path: string, keys: Map<string, number[]>, dtype: SafetensorsDType = 'F16'): Promise<void> {
  await writeHeaderOnly(path, [...keys].map(([k, shape]) => [k, { dtype, shape }] as [string, { dtype: SafetensorsDType; shape: number[] }]));
}
