/** PixArt-α/Σ transformer (DiT): detection from shapes, graph builder over the canonical (diffusers) key space, runner. */
export { detectPixArt, expectedTensors, type PixArtConfig, type PixArtHints } from './config.ts';
export { findPixArtHintsBeside, loadPixArtHints, pixartHintsFrom } from './configFile.ts';
export { isPixArtTensors, openPixArt, pixartFromTensors, type OpenPixArtOptions, type PixArtLayout, type PixArtSpec } from './open.ts';
export { pixartPosEmbed } from './posEmbed.ts';
export { pixartSites, type DiTExtent, type PixArtSites } from './sites.ts';
export { pixartBlock, pixartSubLayers, type DiTSubLayers } from './block.ts';
export { PIXART_DIMS, buildPixArtGraph, pixartForward, type PixArtGraphOptions, type PixArtInputs } from './graph.ts';
export { loadPixArt, pixartNullCaption, type LoadPixArtOptions, type PixArtMicroConds, type PixArtRunner, type Tensor32 } from './runner.ts';
export { ditDebugModule } from './debug.ts';
