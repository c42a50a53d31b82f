/** LDM UNet (SD 1.x / 2.x / XL) as a graph builder over the canonical weight scope, and its runner. */
export { UNET_DIMS, buildUNetGraph, unetForward, type UNetGraphOptions, type UNetInputs } from './graph.ts';
export { loadUNet, type LoadUNetOptions, type UNetRunner, type UNetRuntimeOptions } from './runner.ts';
export { transformerPlacements, unetSites, type LatentExtent, type TransformerPlacement, type UNetSites } from './sites.ts';
export { timeEmbedding, timestepSinusoid } from './timeEmbedding.ts';
export { resBlock, downsample, upsample } from './resBlock.ts';
export { spatialTransformer } from './transformer.ts';
export { unetDebugModule } from './debug.ts';
export { SDXL_EXTRA, DEFAULT_AESTHETIC_SCORE, fourierEmbedding, microExtras, vectorConditioning } from './vectorConditioning.ts';
export { labelEmbedding } from './timeEmbedding.ts';
export { sdxlUNetDebugModule, sdxlVectorDebugModule } from './sdxlDebug.ts';
