import { StudioError } from '../../api/errors.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import { checkCompleteness } from '../completeness.ts';
import { countIndexed } from '../shapeTools.ts';
import { PIXART_NULL_CAPTION } from '../layouts/pixartOriginal.ts';
import type { ValueSource } from '../spec.ts';

/** Every dimension of a PixArt transformer; shapes decide all of it except heads and the PE rules. */
export interface PixArtConfig {
  inChannels: number;
  /** 8 with learned sigma: channels 0-3 ε, 4-7 the variance interpolation samplers ignore. */
  outChannels: number;
  patchSize: number;
  /** Model width C (1152 in every released model). */
  width: number;
  depth: number;
  heads: number;
  headsSource: ValueSource;
  /** MLP hidden width (4·C). */
  mlpWidth: number;
  /** T5 width of the raw caption states (4096). */
  captionChannels: number;
  /** Width of the timestep sinusoid (256 whatever the model width). */
  frequencyDim: number;
  /** α-1024-MS: resolution and aspect-ratio embeddings added to the timestep embedding. */
  microConditions: boolean;
  /** Latent side the model was trained at (diffusers `sample_size`). */
  sampleSize: number;
  sampleSizeSource: 'pos_embed' | ValueSource;
  /** Token grid side the position embedding is normalised to: sampleSize / patchSize. */
  baseSize: number;
  /** PE interpolation scale (PixArt's lewei_scale / pe_interpolation). */
  interpolationScale: number;
  interpolationScaleSource: ValueSource | 'table';
  /** Rows of the learned null caption `y_embedding` (120 α, 300 Σ), 0 when the file has none. */
  nullCaptionTokens: number;
}

/** What shapes cannot tell, from a config file beside the weights. */
export interface PixArtHints {
  source: string;
  heads?: number;
  sampleSize?: number;
  interpolationScale?: number;
}

/** The official PE scales by latent side (the Σ convert script's table, ALGORITHMS-2 §1.1). */
const INTERPOLATION_BY_SAMPLE_SIZE: Record<number, number> = { 32: 0.5, 64: 1, 128: 2, 256: 4 };
/** Every released PixArt is DiT-XL/2: 16 heads × 72 at width 1152. */
const XL_WIDTH = 1152;
const XL_HEADS = 16;
const DEFAULT_HEAD_DIM = 64;
const DEFAULT_SAMPLE_SIZE = 64;

const shapeOf = (tensors: ReadonlyMap<string, TensorInfo>, label: string, name: string, rank: number): number[] => {
  const t = tensors.get(name);
  if (!t) throw new StudioError('CHECKPOINT_INCOMPLETE', `${label}: missing weight "${name}"`, { file: label, missing: [name] });
  if (t.shape.length !== rank || t.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new StudioError('SHAPE_MISMATCH', `${label}: weight "${name}" is [${t.shape.join(', ')}], expected rank ${rank}`, { file: label, tensor: name });
  }
  return t.shape;
};

const bad = (label: string, what: string, tensor?: string) =>
  new StudioError('SHAPE_MISMATCH', `${label}: ${what}`, { file: label, ...(tensor ? { tensor } : {}) });

/**
 * The PixArt transformer's config from its canonical tensors' shapes alone (no data read),
 * then a completeness check of every tensor the config implies: a missing tensor is
 * CHECKPOINT_INCOMPLETE and a mis-shaped one SHAPE_MISMATCH, each naming the tensor.
 */
export function detectPixArt(label: string, tensors: ReadonlyMap<string, TensorInfo>, hints: PixArtHints = { source: '' }, basePosTokens?: number): { config: PixArtConfig; unexpected: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const keys = [...tensors.keys()];
  if (keys.some((k) => /^(transformer_blocks|blocks)\.\d+\.(attn1|attn)\.sr\./.test(k))) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: PixArt-Σ KV-compressed self-attention (attn.sr) is not supported; no released model uses it`, { file: label });
  }
  const [width, inChannels, patch, patchW] = shapeOf(tensors, label, 'pos_embed.proj.weight', 4);
  if (patch !== patchW) throw bad(label, `patch embedding kernel is ${patch}×${patchW}, expected square`, 'pos_embed.proj.weight');
  const [freqOut, frequencyDim] = shapeOf(tensors, label, 'adaln_single.emb.timestep_embedder.linear_1.weight', 2);
  if (freqOut !== width) throw bad(label, `timestep embedder gives ${freqOut} channels for a model of width ${width}`, 'adaln_single.emb.timestep_embedder.linear_1.weight');
  const [, captionChannels] = shapeOf(tensors, label, 'caption_projection.linear_1.weight', 2);
  const [projOut] = shapeOf(tensors, label, 'proj_out.weight', 2);
  if (projOut % (patch * patch) !== 0) throw bad(label, `proj_out has ${projOut} rows, not a multiple of patch² = ${patch * patch}`, 'proj_out.weight');
  const outChannels = projOut / (patch * patch);
  const depth = countIndexed(keys, /^transformer_blocks\.(\d+)\./);
  if (depth === 0) throw new StudioError('CHECKPOINT_INCOMPLETE', `${label}: no transformer blocks (transformer_blocks.N / blocks.N)`, { file: label, missing: ['transformer_blocks.0.scale_shift_table'] });
  const [mlpWidth] = shapeOf(tensors, label, 'transformer_blocks.0.ff.net.0.proj.weight', 2);
  const microConditions = tensors.has('adaln_single.emb.resolution_embedder.linear_1.weight');
  const sizeDim = microConditions ? shapeOf(tensors, label, 'adaln_single.emb.resolution_embedder.linear_1.weight', 2)[0] : 0;
  if (microConditions && 3 * sizeDim !== width) throw bad(label, `size embedder width ${sizeDim} is not a third of the model width ${width}`, 'adaln_single.emb.resolution_embedder.linear_1.weight');
  const nullCaptionTokens = tensors.has(PIXART_NULL_CAPTION) ? shapeOf(tensors, label, PIXART_NULL_CAPTION, 2)[0] : 0;

  let heads = hints.heads;
  let headsSource: ValueSource = 'config';
  if (!heads) {
    headsSource = 'family-default';
    heads = width === XL_WIDTH ? XL_HEADS : width % DEFAULT_HEAD_DIM === 0 ? width / DEFAULT_HEAD_DIM : 0;
    if (!heads) {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: width ${width} does not split into ${DEFAULT_HEAD_DIM}-channel heads; give the head count in a config (num_attention_heads)`, { file: label });
    }
    if (width !== XL_WIDTH) warnings.push(`${label}: no config names the attention heads; assumed ${heads} heads of ${DEFAULT_HEAD_DIM}`);
  }
  if (width % heads !== 0) throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: width ${width} cannot split into ${heads} heads`, { file: label });

  let sampleSize: number;
  let sampleSizeSource: PixArtConfig['sampleSizeSource'];
  if (basePosTokens !== undefined) {
    const side = Math.round(Math.sqrt(basePosTokens));
    if (side * side !== basePosTokens) throw bad(label, `pos_embed holds ${basePosTokens} tokens, not a square grid`, 'pos_embed');
    sampleSize = side * patch;
    sampleSizeSource = 'pos_embed';
    if (hints.sampleSize && hints.sampleSize !== sampleSize) warnings.push(`${hints.source}: sample_size ${hints.sampleSize} disagrees with the file's pos_embed (${sampleSize}); using ${sampleSize}`);
  } else if (hints.sampleSize) {
    sampleSize = hints.sampleSize;
    sampleSizeSource = 'config';
  } else {
    sampleSize = DEFAULT_SAMPLE_SIZE;
    sampleSizeSource = 'family-default';
    warnings.push(`${label}: neither a pos_embed nor a config gives the training size; assumed sample_size ${DEFAULT_SAMPLE_SIZE} (512 px)`);
  }
  if (sampleSize % patch !== 0) throw bad(label, `sample_size ${sampleSize} is not a multiple of the patch size ${patch}`);
  // diffusers defaults to max(sample_size // 64, 1), which is wrong (1) for the 256 models: the table wins.
  let interpolationScale = hints.interpolationScale;
  let interpolationScaleSource: PixArtConfig['interpolationScaleSource'] = 'config';
  if (!interpolationScale) {
    interpolationScale = INTERPOLATION_BY_SAMPLE_SIZE[sampleSize];
    interpolationScaleSource = 'table';
    if (!interpolationScale) {
      interpolationScale = Math.max(Math.floor(sampleSize / 64), 1);
      interpolationScaleSource = 'family-default';
    }
  }

  const config: PixArtConfig = {
    inChannels, outChannels, patchSize: patch, width, depth, heads, headsSource, mlpWidth, captionChannels, frequencyDim,
    microConditions, sampleSize, sampleSizeSource, baseSize: sampleSize / patch, interpolationScale, interpolationScaleSource, nullCaptionTokens,
  };
  const { unexpected } = checkCompleteness(label, tensors, expectedTensors(config), [/^y_embedding$/]);
  return { config, unexpected, warnings };
}

/** Canonical name → shape of every tensor a PixArt transformer with config `c` holds. */
export function expectedTensors(c: PixArtConfig): Map<string, number[]> {
  const C = c.width;
  const m = new Map<string, number[]>();
  const linear = (name: string, out: number, inp: number) => {
    m.set(`${name}.weight`, [out, inp]);
    m.set(`${name}.bias`, [out]);
  };
  m.set('pos_embed.proj.weight', [C, c.inChannels, c.patchSize, c.patchSize]);
  m.set('pos_embed.proj.bias', [C]);
  linear('adaln_single.emb.timestep_embedder.linear_1', C, c.frequencyDim);
  linear('adaln_single.emb.timestep_embedder.linear_2', C, C);
  if (c.microConditions) {
    for (const e of ['resolution_embedder', 'aspect_ratio_embedder']) {
      linear(`adaln_single.emb.${e}.linear_1`, C / 3, c.frequencyDim);
      linear(`adaln_single.emb.${e}.linear_2`, C / 3, C / 3);
    }
  }
  linear('adaln_single.linear', 6 * C, C);
  linear('caption_projection.linear_1', C, c.captionChannels);
  linear('caption_projection.linear_2', C, C);
  for (let i = 0; i < c.depth; i++) {
    const b = `transformer_blocks.${i}`;
    m.set(`${b}.scale_shift_table`, [6, C]);
    for (const a of ['attn1', 'attn2']) for (const p of ['to_q', 'to_k', 'to_v', 'to_out.0']) linear(`${b}.${a}.${p}`, C, C);
    linear(`${b}.ff.net.0.proj`, c.mlpWidth, C);
    linear(`${b}.ff.net.2`, C, c.mlpWidth);
  }
  linear('proj_out', c.patchSize * c.patchSize * c.outChannels, C);
  m.set('scale_shift_table', [2, C]);
  if (c.nullCaptionTokens) m.set('y_embedding', [c.nullCaptionTokens, c.captionChannels]);
  return m;
}
