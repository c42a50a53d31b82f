import type { AttentionSite } from '../site.ts';

/** LDM output block index of a site path (`…output_blocks.7.1.transformer_blocks.0.attn1` → 7). */
export function outputBlockOf(site: AttentionSite): number | undefined {
  const m = /(?:^|\.)output_blocks\.(\d+)\./.exec(site.path);
  return m ? Number(m[1]) : undefined;
}

/**
 * StyleID's layers for a network: the output blocks of the decoder's two finest levels that
 * have self-attention. On SD 1.x/2.x that is blocks 6–11, the reference's choice; a network
 * without attention at full latent resolution (the toy model, SDXL) gets its two finest
 * attention levels instead of a refusal.
 */
export function defaultStyleLayers(sites: readonly AttentionSite[]): number[] {
  const up = sites.filter((s) => s.kind === 'self' && s.stage === 'up' && outputBlockOf(s) !== undefined);
  const levels = [...new Set(up.map((s) => s.level))].sort((a, b) => a - b).slice(0, 2);
  const blocks = up.filter((s) => levels.includes(s.level)).map((s) => outputBlockOf(s)!);
  return [...new Set(blocks)].sort((a, b) => a - b);
}
