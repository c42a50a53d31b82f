import type { SafetensorsDType } from '../safetensors/types.ts';
import type { ScheduleConfig } from '../schedulers/schedule.ts';
import type { PixArtSpec } from './pixart/open.ts';
import type { T5Spec } from './t5/config.ts';
import type { WeightStore } from './weightStore.ts';

/**
 * What checkpoint detection hands to the network builders. Every dimension is read from
 * tensor shapes; only what shapes cannot tell (attention heads, prediction type, scale
 * factor, activation) comes from a config file or the family's convention, and
 * `*Source` fields say which.
 */

export type ModelFamily = 'sd1' | 'sd2' | 'pixart' | 'taesd';
export type Prediction = 'eps' | 'v';
/** How the weights were laid out on disk before mapping into the canonical LDM key space. */
export type CheckpointLayout = 'ldm-single-file' | 'diffusers' | 'pixart-original' | 'taesd' | 'diffusers-taesd';
export type ValueSource = 'config' | 'family-default';

export interface UNetConfig {
  inChannels: number; // 4, or 9 for inpainting (latent + mask + masked-image latent)
  outChannels: number;
  modelChannels: number;
  channelMult: number[];
  numResBlocks: number;
  /** Levels (indices into channelMult) whose input/output blocks carry a spatial transformer. */
  attentionLevels: number[];
  /** The same as LDM's `attention_resolutions`: downsampling factors 2^level. */
  attentionResolutions: number[];
  midBlockAttention: boolean;
  transformerDepth: number;
  contextDim: number;
  /** Linear proj_in/proj_out (SD 2.x) instead of 1x1 convolutions (SD 1.x). */
  useLinearProjection: boolean;
  timeEmbedDim: number;
  /** LDM semantics: exactly one of numHeads / numHeadChannels is set. */
  numHeads: number | null;
  numHeadChannels: number | null;
  /** Resolved head count per level (index = level), for levels and the middle block alike. */
  headsPerLevel: number[];
  headsSource: ValueSource;
}

export interface VAEConfig {
  inChannels: number;
  outChannels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  /** Levels with attention in the down/up paths (SD: none; the middle block always has one). */
  attnLevels: number[];
  zChannels: number;
  embedDim: number;
  doubleZ: boolean;
}

export interface TextEncoderConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  intermediateSize: number;
  maxPositions: number;
  numHeads: number;
  headsSource: ValueSource;
  hiddenAct: 'quick_gelu' | 'gelu';
  /** Layers at the end that are not run (SD 2.x single files use the penultimate layer). */
  skipLastLayers: number;
  hasPositionIds: boolean;
}

export interface TAESDConfig {
  latentChannels: number;
  channels: number;
  hasEncoder: boolean;
  hasDecoder: boolean;
  /** taef2-style blocks with a GroupNorm "pool" branch (encoder blocks 11-13, decoder 3-5). */
  midBlockGroupNorm: boolean;
  /** Width of that branch (256 in taef2), 0 without it. */
  poolChannels: number;
}

interface SpecBase {
  layout: CheckpointLayout;
  /** Every file the weights come from. */
  files: string[];
  /** The config file that supplied non-shape facts, if any. */
  configFile?: string;
  /** Canonical (LDM single-file) names → tensor byte ranges. */
  weights: WeightStore;
  /** Storage dtype of the floating-point weights, or 'mixed'. */
  weightDType: SafetensorsDType | 'mixed';
  /** Keys present but neither expected nor known extras (EMA copies, schedule buffers). */
  unexpectedKeys: string[];
  /** Plain-words notes for the user: defaults taken, config disagreements, unexpected keys. */
  warnings: string[];
}

export interface StableDiffusionSpec extends SpecBase {
  family: 'sd1' | 'sd2';
  prediction: Prediction;
  predictionSource: ValueSource;
  inpainting: boolean;
  scaleFactor: number;
  /** Side in pixels the model was trained at: the default output size. */
  nativeSize: number;
  /** Classifier-free guidance scale the model is meant to be sampled at: a request's default cfg. */
  guidanceScale: number;
  unet: UNetConfig;
  vae: VAEConfig;
  textEncoder: TextEncoderConfig;
  /** Folder with vocab.json / merges.txt when the checkpoint ships its tokenizer (diffusers). */
  tokenizerDir?: string;
}

export interface TAESDSpec extends SpecBase {
  family: 'taesd';
  taesd: TAESDConfig;
  /** TAESD works directly in diffusion-latent space: no scale factor applies. */
  scaleFactor: 1;
}

/**
 * A PixArt-α/Σ pipeline: the transformer, its T5 encoder and the VAE it pairs with, each
 * from the file or folder it was found in. `weights` holds the VAE under the LDM
 * `first_stage_model.` names, so the SD VAE builders serve it unchanged.
 */
export interface PixArtPipelineSpec extends SpecBase {
  family: 'pixart';
  /** α (120 caption tokens, SD VAE) or Σ (300 tokens, SDXL VAE). */
  variant: 'alpha' | 'sigma';
  transformer: PixArtSpec;
  /** The conditioner's encoders in order (PixArt: one T5). */
  textEncoders: T5Spec[];
  /** Where the VAE came from (a vae/ folder or a file). */
  vaeSource: string;
  vae: VAEConfig;
  scaleFactor: number;
  prediction: 'eps';
  /** PixArt has no 9-channel inpainting variant; inpainting blends latents. */
  inpainting: false;
  nativeSize: number;
  guidanceScale: number;
  /** T5 tokens per caption (EOS included, padded). */
  maxTokens: number;
  /** The training schedule (linear betas 1e-4…0.02 unless the scheduler config says otherwise). */
  schedule: ScheduleConfig;
  /** Aspect-ratio buckets around the training size, [width, height] in pixels. */
  sizes: Array<[number, number]>;
}

/** Anything the generating pipelines can run. */
export type ImageModelSpec = StableDiffusionSpec | PixArtPipelineSpec;
export type ModelSpec = ImageModelSpec | TAESDSpec;

/**
 * Facts a config file can supply. Dimensions in `declared` are only cross-checked
 * against shapes (shapes win); the rest fill what shapes cannot tell.
 */
export interface ConfigHints {
  source?: string;
  prediction?: Prediction;
  scaleFactor?: number;
  /** Training resolution in pixels (studio JSON `native_resolution`, diffusers `sample_size` × 8). */
  nativeSize?: number;
  /** Recommended guidance scale (studio JSON `guidance_scale`). */
  guidanceScale?: number;
  unetNumHeads?: number;
  unetNumHeadChannels?: number;
  /** diffusers `attention_head_dim` lists: heads per level. */
  unetHeadsPerLevel?: number[];
  textNumHeads?: number;
  textHiddenAct?: 'quick_gelu' | 'gelu';
  textSkipLastLayers?: number;
  /** Family hint from the config (e.g. an OpenCLIP text tower or a 1024-wide context). */
  family?: 'sd1' | 'sd2';
  declared?: Partial<{
    modelChannels: number;
    channelMult: number[];
    numResBlocks: number;
    contextDim: number;
    transformerDepth: number;
    inChannels: number;
    vaeCh: number;
    vaeChMult: number[];
    textHiddenSize: number;
    textNumLayers: number;
  }>;
}
