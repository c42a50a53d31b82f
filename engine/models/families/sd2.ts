import { openClipTextRules } from '../layouts/openclip.ts';
import type { LdmFamilyRecord } from './ldmFamily.ts';

/**
 * Stable Diffusion 2.x single files: the UNet with linear proj_in/out and 64-channel
 * heads, and an OpenCLIP ViT-H text tower under `cond_stage_model.model`, mapped into
 * the canonical CLIPTextModel names. SD 2.x conditions on the penultimate layer.
 */
export const sd2: LdmFamilyRecord = {
  family: 'sd2',
  description: 'Stable Diffusion 2.x',
  fingerprint: ['model.diffusion_model.', 'cond_stage_model.model.'],
  singleFileRules: openClipTextRules,
  defaults: {
    unetHeads: { numHeadChannels: 64 },
    textHeadDim: 64,
    textHiddenAct: 'gelu',
    textSkipLastLayers: 1,
    // 768-v and 512-base checkpoints have identical key sets and shapes.
    prediction: 'eps',
    predictionNote:
      'SD 2.x: prediction type cannot be read from the weights; assuming eps (2.x-base). ' +
      'For 768-v checkpoints put a config beside the file with parameterization: v',
    scaleFactor: 0.18215,
    nativeSize: 512,
    nativeSizeV: 768,
  },
};
