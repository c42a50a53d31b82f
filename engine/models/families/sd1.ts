import type { LdmFamilyRecord } from './ldmFamily.ts';

const TEXT = 'cond_stage_model.transformer.';

/**
 * Stable Diffusion 1.x single files: LDM UNet, AutoencoderKL, and OpenAI CLIP ViT-L/14
 * stored in transformers naming under `cond_stage_model.transformer.text_model`, which is
 * already the canonical text layout.
 */
export const sd1: LdmFamilyRecord = {
  family: 'sd1',
  description: 'Stable Diffusion 1.x',
  fingerprint: ['model.diffusion_model.', TEXT],
  // Files saved with early transformers releases lack the `text_model.` level.
  singleFileRules: [
    { from: `${TEXT}embeddings.`, to: `${TEXT}text_model.embeddings.` },
    { from: `${TEXT}encoder.`, to: `${TEXT}text_model.encoder.` },
    { from: `${TEXT}final_layer_norm.`, to: `${TEXT}text_model.final_layer_norm.` },
  ],
  defaults: {
    // v1-inference.yaml: a fixed 8 heads at every level (dim_head grows with width).
    unetHeads: { numHeads: 8 },
    textHeadDim: 64,
    textHiddenAct: 'quick_gelu',
    textSkipLastLayers: 0,
    prediction: 'eps',
    scaleFactor: 0.18215,
    nativeSize: 512,
    nativeSizeV: 512,
  },
};
