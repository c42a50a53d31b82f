import type { AttentionSite } from '../site.ts';

/** The decoder block a site belongs to, as the family numbers it (LDM `output_blocks.N`), if any. */
export function decoderBlockOf(site: AttentionSite): number | undefined {
  return site.tags.decoderBlock;
}

/**
 * StyleID's layers for a network: the decoder blocks of the two finest token grids that
 * have self-attention. On SD 1.x/2.x that is output blocks 6–11, the reference's choice; a
 * network without attention at full latent resolution (the toy model, SDXL) gets its two
 * finest attention levels instead of a refusal.
 */
export function defaultStyleLayers(sites: readonly AttentionSite[]): number[] {
  const decoder = sites.filter((s) => s.kind === 'self' && decoderBlockOf(s) !== undefined);
  const grids = [...new Set(decoder.map((s) => s.grid.downsample))].sort((a, b) => a - b).slice(0, 2);
  const blocks = decoder.filter((s) => grids.includes(s.grid.downsample)).map((s) => decoderBlockOf(s)!);
  return [...new Set(blocks)].sort((a, b) => a - b);
}
