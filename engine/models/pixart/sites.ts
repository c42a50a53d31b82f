import type { AttentionKind, AttentionSite, TokenCount, TransformerBlockSite } from '../../controllers/site.ts';
import type { PixArtConfig } from './config.ts';

/** Fixed sizes, when a graph is built for them; token counts stay symbolic otherwise. */
export interface DiTExtent {
  /** Latent height and width (pixels / 8). */
  height?: number;
  width?: number;
  /** Caption length (120 for α, 300 for Σ). */
  tokens?: number;
}

/**
 * A DiT attention site described without UNet vocabulary (DESIGN D2b): the token grid the
 * queries live on, self or cross, its ordinal in evaluation order and the block it sits in.
 * Every block of a DiT shares one grid: the latent divided by the patch size.
 */
export interface DiTAttentionSite {
  /** Checkpoint path (canonical), e.g. `transformer_blocks.3.attn2`. */
  readonly path: string;
  readonly ordinal: number;
  readonly kind: AttentionKind;
  readonly block: number;
  readonly grid: { readonly height: TokenCount; readonly width: TokenCount };
  readonly heads: number;
  readonly dimHead: number;
  readonly channels: number;
  readonly queryTokens: TokenCount;
  /** The grid's token count for self-attention, the caption length for cross. */
  readonly keyTokens: TokenCount;
}

export interface DiTBlockSite {
  readonly path: string;
  readonly block: number;
  readonly self: DiTAttentionSite;
  readonly cross: DiTAttentionSite;
}

export interface PixArtSites {
  readonly neutral: readonly DiTBlockSite[];
  /** The same sites in today's controller types (UNet-shaped), in forward order. */
  readonly attention: readonly AttentionSite[];
  readonly blocks: readonly TransformerBlockSite[];
}

/** The transformer's attention sites from its config alone (no graph, no weights). */
export function pixartSites(c: PixArtConfig, extent: DiTExtent = {}, prefix = ''): PixArtSites {
  const p = c.patchSize;
  const known = extent.height !== undefined && extent.width !== undefined;
  const grid = known
    ? { height: extent.height! / p, width: extent.width! / p }
    : { height: `h/${p}`, width: `w/${p}` };
  const queryTokens: TokenCount = known ? (grid.height as number) * (grid.width as number) : `(h/${p})·(w/${p})`;
  const dimHead = c.width / c.heads;
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const neutral: DiTBlockSite[] = [];
  const attention: AttentionSite[] = [];
  const blocks: TransformerBlockSite[] = [];
  for (let b = 0; b < c.depth; b++) {
    const path = at(`transformer_blocks.${b}`);
    const site = (kind: AttentionKind, ordinal: number): DiTAttentionSite => ({
      path: `${path}.${kind === 'self' ? 'attn1' : 'attn2'}`, ordinal, kind, block: b, grid, heads: c.heads, dimHead,
      channels: c.width, queryTokens, keyTokens: kind === 'self' ? queryTokens : extent.tokens ?? 'tokens',
    });
    const self = site('self', 2 * b);
    const cross = site('cross', 2 * b + 1);
    neutral.push({ path, block: b, self, cross });
    const legacySelf = legacySite(self);
    const legacyCross = legacySite(cross);
    attention.push(legacySelf, legacyCross);
    blocks.push({ path, stage: 'mid', level: 0, blockIndex: b, depth: 0, channels: c.width, queryTokens, resolution: 1, self: legacySelf, cross: legacyCross });
  }
  return { neutral, attention, blocks };
}

/**
 * TODO(issue 17): today's AttentionSite is UNet-shaped. A DiT has no stages or levels, so
 * the UNet fields get neutral fillers (one 'mid' stage at level 0, resolution 1, depth 0,
 * blockIndex = the DiT block); drop this once controllers take the neutral site above.
 */
function legacySite(s: DiTAttentionSite): AttentionSite {
  return {
    path: s.path, index: s.ordinal, stage: 'mid', level: 0, blockIndex: s.block, depth: 0, kind: s.kind,
    heads: s.heads, dimHead: s.dimHead, channels: s.channels, queryTokens: s.queryTokens, keyTokens: s.keyTokens, resolution: 1,
  };
}
