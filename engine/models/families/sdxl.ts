import { sdxlBaseRules, sdxlRefinerRules } from '../layouts/sdxl.ts';
import type { RenameRule } from '../keyRules.ts';
import type { Prediction, SDXLMicroCondition, SDXLSpec } from '../spec.ts';

/** One SDXL checkpoint kind: how to recognise it and what it assumes where shapes are silent. */
export interface SDXLFamilyRecord {
  family: 'sdxl';
  variant: SDXLSpec['variant'];
  description: string;
  /** Key prefixes that must each own a key in a single file (see LdmFamilyRecord). */
  fingerprint: string[];
  singleFileRules: RenameRule[];
  /** Whether CLIP ViT-L conditions it (the base) or bigG alone (the refiner). */
  hasClipL: boolean;
  microConditions: SDXLMicroCondition[];
  defaults: {
    unetHeads: { numHeadChannels: number };
    prediction: Prediction;
    scaleFactor: number;
    nativeSize: number;
    guidanceScale: number;
  };
}

/** Width of each micro-condition's Fourier embedding (sgm ConcatTimestepEmbedderND outdim, diffusers addition_time_embed_dim). */
export const SDXL_MICRO_EMBED_DIM = 256;

/** Numbers each micro-condition holds: a size or a crop is a (h, w) / (top, left) pair, the score one value. */
export const SDXL_MICRO_WIDTH: Record<SDXLMicroCondition, number> = {
  original_size: 2,
  crop_coords_top_left: 2,
  target_size: 2,
  aesthetic_score: 1,
};

const defaults = {
  // sd_xl_base.yaml / sd_xl_refiner.yaml: num_head_channels 64 (10/20 heads base, 12/24 refiner).
  unetHeads: { numHeadChannels: 64 },
  prediction: 'eps' as const,
  scaleFactor: 0.13025,
  nativeSize: 1024,
  // diffusers' StableDiffusionXLPipeline default; sgm's demo uses the same.
  guidanceScale: 5,
};

/** SDXL base 1.0 and its fine-tunes: CLIP-L ‖ bigG context (2048), y = pooled ‖ six size embeddings (2816). */
export const sdxlBase: SDXLFamilyRecord = {
  family: 'sdxl',
  variant: 'base',
  description: 'Stable Diffusion XL base',
  fingerprint: ['model.diffusion_model.', 'conditioner.embedders.1.model.'],
  singleFileRules: sdxlBaseRules,
  hasClipL: true,
  microConditions: ['original_size', 'crop_coords_top_left', 'target_size'],
  defaults,
};

/** SDXL refiner 1.0: bigG only (context 1280), y = pooled ‖ original size ‖ crop ‖ aesthetic score (2560). */
export const sdxlRefiner: SDXLFamilyRecord = {
  family: 'sdxl',
  variant: 'refiner',
  description: 'Stable Diffusion XL refiner',
  fingerprint: ['model.diffusion_model.', 'conditioner.embedders.0.model.'],
  singleFileRules: sdxlRefinerRules,
  hasClipL: false,
  microConditions: ['original_size', 'crop_coords_top_left', 'aesthetic_score'],
  defaults,
};

export const SDXL_FAMILIES: SDXLFamilyRecord[] = [sdxlBase, sdxlRefiner];

/** Text-tower conventions (64-wide heads; CLIP-L quick_gelu, bigG exact GELU; both condition on the penultimate layer). */
export const SDXL_TEXT_CONVENTIONS = {
  clipL: { defaults: { textHeadDim: 64, textHiddenAct: 'quick_gelu' as const, textSkipLastLayers: 1 } },
  clipG: { defaults: { textHeadDim: 64, textHiddenAct: 'gelu' as const, textSkipLastLayers: 1 } },
};
