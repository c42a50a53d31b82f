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

export type ModelFamily = 'sd1' | 'sd2' | 'sdxl' | 'pixart' | 'taesd';
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
  /**
   * Transformer blocks per SpatialTransformer at each level (index = level), the same in the
   * input and output blocks of that level; 0 where a level has no attention. SD 1.x/2.x: one
   * depth everywhere ([1, 1, 1, 0]); SDXL base [0, 2, 10], the refiner [0, 4, 4, 0].
   */
  transformerDepth: number[];
  /** Transformer blocks in the middle block's SpatialTransformer (0 without one). */
  midTransformerDepth: number;
  contextDim: number;
  /**
   * Width of the vector conditioning `y` (LDM `adm_in_channels`, `label_emb`), 0 when the
   * UNet has none. SDXL base 2816 (pooled text ‖ six size embeddings), refiner 2560.
   */
  admInChannels: number;
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

/** What every LDM-UNet model (SD 1.x, 2.x, XL) states beside its text encoders. */
interface LdmModelFields {
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
  /** Folder with vocab.json / merges.txt when the checkpoint ships its tokenizer (diffusers). */
  tokenizerDir?: string;
}

export interface StableDiffusionSpec extends SpecBase, LdmModelFields {
  family: 'sd1' | 'sd2';
  /** The conditioner's encoders in order (SD 1.x/2.x: one CLIP text tower). */
  textEncoders: [TextEncoderConfig];
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

/** What the vector conditioning `y` holds after the pooled text vector, in order (sgm's embedders). */
export type SDXLMicroCondition = 'original_size' | 'crop_coords_top_left' | 'target_size' | 'aesthetic_score';

export interface SDXLTextEncoders {
  /** CLIP ViT-L/14 (base only): its penultimate hidden states, no final LayerNorm, are context[…, :hidden]. */
  clipL?: TextEncoderConfig;
  /**
   * OpenCLIP ViT-bigG/14: penultimate states (no ln_final) for the context, and the pooled
   * vector ln_final(last layer)[EOS] · text_projection, `projectionDim` wide, for `y`.
   */
  clipG: TextEncoderConfig & { projectionDim: number };
}

export interface SDXLSpec extends SpecBase, LdmModelFields {
  family: 'sdxl';
  /** Base (CLIP-L + bigG, size micro-conditions) or refiner (bigG only, aesthetic score). */
  variant: 'base' | 'refiner';
  textEncoders: SDXLTextEncoders;
  /** y = [pooled ‖ the Fourier embeddings of these, 256 wide per number], as wide as unet.admInChannels. */
  microConditions: SDXLMicroCondition[];
  /** diffusers `tokenizer_2/` (bigG's; `tokenizerDir` is CLIP-L's) when the folder ships it. */
  tokenizer2Dir?: string;
}


/** Anything the generating pipelines can run (SDXL: its networks load, its pipelines are not wired yet). */
export type ImageModelSpec = StableDiffusionSpec | PixArtPipelineSpec;
export type ModelSpec = ImageModelSpec | SDXLSpec | TAESDSpec;

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
  family?: 'sd1' | 'sd2' | 'sdxl';
  /** SDXL's two towers (heads cannot be read from shapes; the real ones are 64 wide). */
  sdxlTextHeads?: { clipL?: number; clipG?: number };
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
