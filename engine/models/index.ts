export { detectModel, detectLdm, type DetectOptions } from './detect.ts';
export { WeightStore } from './weightStore.ts';
export type * from './spec.ts';
export { findConfigBeside, hintsFromConfig, loadConfigHints } from './configHints.ts';
export { renameTensors, type RenameRule } from './keyRules.ts';
export { expectedUNetTensors, detectUNetShapes, type UNetShapes } from './ldm/unet.ts';
export { expectedVAETensors, detectVAEConfig } from './ldm/vae.ts';
export { expectedTextEncoderTensors, detectTextEncoderShapes } from './ldm/clipText.ts';
export { expectedTaesdTensors } from './families/taesd.ts';
