export { detectModel, detectLdm, type DetectOptions } from './detect.ts';
export { WeightStore } from './weightStore.ts';
export type * from './spec.ts';
export { findConfigBeside, hintsFromConfig, loadConfigHints } from './configHints.ts';
export { renameTensors, type RenameRule } from './keyRules.ts';
export { expectedUNetTensors, detectUNetShapes, type UNetShapes } from './unet/shapes.ts';
export { expectedVAETensors, detectVAEConfig } from './vae/shapes.ts';
export { expectedTextEncoderTensors, detectTextEncoderShapes } from './clip/shapes.ts';
export { expectedTaesdTensors } from './families/taesd.ts';
