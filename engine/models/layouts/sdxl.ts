import type { RenameRule } from '../keyRules.ts';
import { openClipTextRulesFor } from './openclip.ts';

/**
 * SDXL's key layouts → the canonical space. The UNet and VAE keep their LDM names
 * (`model.diffusion_model`, `first_stage_model`). CLIP-L sits in transformers naming at
 * `conditioner.embedders.0.transformer.text_model` in the base single file, which is its
 * canonical place. The OpenCLIP bigG tower (`conditioner.embedders.1.model` in the base,
 * `embedders.0.model` in the refiner) is renamed into CLIPTextModel names under
 * `conditioner.embedders.1.transformer.text_model` — the same move as SD 2.x's
 * `cond_stage_model.model` → `cond_stage_model.transformer.text_model` — so one text builder
 * walks both towers, whatever file they came from.
 */
export const SDXL_TEXT_L = 'conditioner.embedders.0.transformer.text_model';
export const SDXL_TEXT_G = 'conditioner.embedders.1.transformer.text_model';
/**
 * bigG's pooled projection, in one of two orientations that cannot share a name without a copy:
 * `…text_projection` [width, proj], applied as x·P (open_clip, single files), or
 * `…text_projection.weight` [proj, width], a bias-free Linear (transformers, diffusers).
 */
export const SDXL_TEXT_G_PROJECTION = 'conditioner.embedders.1.transformer.text_projection';

function bigGRules(src: string): RenameRule[] {
  const at = src.replace(/\./g, '\\.');
  return [
    // Before the OpenCLIP rules, which drop the projection (SD 2.x never uses it).
    { from: new RegExp(`^${at}text_projection$`), to: SDXL_TEXT_G_PROJECTION },
    ...openClipTextRulesFor(src, `${SDXL_TEXT_G}.`),
  ];
}

/** Base single file: CLIP-L already canonical, bigG at `conditioner.embedders.1.model`. */
export const sdxlBaseRules: RenameRule[] = bigGRules('conditioner.embedders.1.model.');
/** Refiner single file: bigG alone, at `conditioner.embedders.0.model`. */
export const sdxlRefinerRules: RenameRule[] = bigGRules('conditioner.embedders.0.model.');

/** diffusers `text_encoder/` (CLIPTextModel). */
export const sdxlDiffusersTextRules: RenameRule[] = [{ from: 'text_model.', to: `${SDXL_TEXT_L}.` }];
/** diffusers `text_encoder_2/` (CLIPTextModelWithProjection). */
export const sdxlDiffusersText2Rules: RenameRule[] = [
  { from: 'text_model.', to: `${SDXL_TEXT_G}.` },
  { from: /^text_projection\.weight$/, to: `${SDXL_TEXT_G_PROJECTION}.weight` },
];
/** diffusers UNet extras of SDXL (`addition_embed_type: text_time`); `add_time_proj` has no weights. */
export const sdxlDiffusersUNetRules: RenameRule[] = [
  { from: /^add_embedding\.linear_1\.(weight|bias)$/, to: 'label_emb.0.0.$1' },
  { from: /^add_embedding\.linear_2\.(weight|bias)$/, to: 'label_emb.0.2.$1' },
];

/** Keys SDXL files carry besides the networks; present or not, never a warning. */
export const SDXL_EXTRAS: RegExp[] = [
  /^conditioner\.embedders\.0\.transformer\.text_model\.embeddings\.position_ids$/,
  /^conditioner\.embedders\.\d\.model\.logit_scale$/,
  /^model_ema\./,
];
