import { readFile } from 'node:fs/promises';
import { StudioError } from '../../api/errors.ts';
import type { WeightStore } from '../weightStore.ts';

/**
 * A CLIP vision tower as transformers' CLIPVisionModelWithProjection stores it (the layout
 * of h94/IP-Adapter's `models/image_encoder/`: OpenCLIP ViT-H/14, ALGORITHMS §3.2).
 */
export interface VisionConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  patchSize: number;
  imageSize: number;
  /** Width of `visual_projection` (image_embeds); 0 when the file has no projection. */
  projectionDim: number;
  hiddenAct: 'gelu' | 'quick_gelu';
  layerNormEps: number;
}

/** transformers' CLIPVisionConfig keys we read from `config.json` when it is present. */
interface HfVisionConfig {
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  patch_size?: number;
  image_size?: number;
  projection_dim?: number;
  hidden_act?: string;
  layer_norm_eps?: number;
}

/**
 * Head counts of the published CLIP towers by width, for files without a config.json:
 * ViT-B (768) 12 heads, ViT-L (1024) and ViT-H (1280) and ViT-bigG (1664) 16 heads.
 * The head count is not recoverable from weight shapes, so an unknown width is refused.
 */
const HEADS_BY_WIDTH: Record<number, number> = { 768: 12, 1024: 16, 1280: 16, 1664: 16 };

/** Reads the architecture from weight shapes, with `config.json` (if given) taking precedence. */
export async function visionConfig(w: WeightStore, configPath?: string): Promise<VisionConfig> {
  let hf: HfVisionConfig = {};
  if (configPath) {
    try {
      const raw = JSON.parse(await readFile(configPath, 'utf8')) as HfVisionConfig & { vision_config?: HfVisionConfig };
      hf = raw.vision_config ?? raw;
    } catch {
      hf = {};
    }
  }
  return visionConfigFromShapes(w, hf);
}

export function visionConfigFromShapes(w: WeightStore, hf: HfVisionConfig = {}): VisionConfig {
  const v = w.scope('vision_model');
  const patch = v.get('embeddings.patch_embedding.weight').shape; // [H, 3, p, p]
  const positions = v.get('embeddings.position_embedding.weight').shape[0]; // 1 + (S/p)²
  const hiddenSize = patch[0];
  const grid = Math.round(Math.sqrt(positions - 1));
  if (grid * grid !== positions - 1) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${w.label}: ${positions} position embeddings are not 1 + a square grid`);
  }
  let numLayers = 0;
  while (v.has(`encoder.layers.${numLayers}.self_attn.q_proj.weight`)) numLayers++;
  if (numLayers === 0) throw new StudioError('CHECKPOINT_INCOMPLETE', `${w.label}: no vision encoder layers (vision_model.encoder.layers.0.*)`, { missing: [v.path('encoder.layers.0.self_attn.q_proj.weight')] });
  const numHeads = hf.num_attention_heads ?? HEADS_BY_WIDTH[hiddenSize];
  if (!numHeads || hiddenSize % numHeads !== 0) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${w.label}: cannot tell the head count of a ${hiddenSize}-wide vision tower; put its config.json beside it`);
  }
  const act = hf.hidden_act ?? 'gelu';
  if (act !== 'gelu' && act !== 'quick_gelu') throw new StudioError('CHECKPOINT_UNSUPPORTED', `${w.label}: activation ${act} is not supported`);
  return {
    hiddenSize,
    numLayers,
    numHeads,
    patchSize: patch[2],
    imageSize: grid * patch[2],
    projectionDim: w.has('visual_projection.weight') ? w.get('visual_projection.weight').shape[0] : 0,
    // OpenCLIP ViT-H uses nn.GELU (erf), which its transformers config names `gelu`.
    hiddenAct: act,
    layerNormEps: hf.layer_norm_eps ?? 1e-5,
  };
}
