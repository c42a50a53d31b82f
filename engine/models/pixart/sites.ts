import { type AttentionKind, type AttentionSite, type BlockSite, type IndexedSites, type TokenCount, indexSites } from '../../controllers/site.ts';
import type { PixArtConfig } from './config.ts';

/** Fixed sizes, when a graph is built for them; token counts stay symbolic otherwise. */
export interface DiTExtent {
  /** Latent height and width (pixels / 8). */
  height?: number;
  width?: number;
  /** Caption length (120 for α, 300 for Σ). */
  tokens?: number;
}

export type PixArtSites = IndexedSites;

/**
 * The transformer's attention sites from its config alone (no graph, no weights). Every
 * block of a DiT attends over one grid, the latent divided by the patch size; the later
 * half of the blocks is the decoder side that style injection's layers count.
 */
export function pixartSites(c: PixArtConfig, extent: DiTExtent = {}, prefix = ''): PixArtSites {
  const p = c.patchSize;
  const known = extent.height !== undefined && extent.width !== undefined;
  const queryTokens: TokenCount = known ? (extent.height! / p) * (extent.width! / p) : `(h/${p})·(w/${p})`;
  const grid = { downsample: p, tokens: queryTokens };
  const dimHead = c.width / c.heads;
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const attention: AttentionSite[] = [];
  const blocks: BlockSite[] = [];
  for (let b = 0; b < c.depth; b++) {
    const path = at(`transformer_blocks.${b}`);
    const tags = {
      diffusersBlock: `transformer_blocks.${b}`,
      ...(b >= c.depth / 2 ? { decoderBlock: b } : {}),
      family: { block: b },
    };
    const site = (kind: AttentionKind, ordinal: number): AttentionSite => ({
      path: `${path}.${kind === 'self' ? 'attn1' : 'attn2'}`, ordinal, block: path, kind, heads: c.heads, dimHead,
      channels: c.width, grid, queryTokens, keyTokens: kind === 'self' ? queryTokens : extent.tokens ?? 'tokens',
      tags: { ...tags, processorOrder: ordinal },
    });
    const self = site('self', 2 * b);
    const cross = site('cross', 2 * b + 1);
    attention.push(self, cross);
    blocks.push({ path, ordinal: b, channels: c.width, grid, queryTokens, self, cross, tags });
  }
  return indexSites('PixArt', attention, blocks);
}
