import { StudioError } from '../api/errors.ts';

/**
 * Typed, backbone-neutral descriptors of the places a controller can act on (DESIGN D2b).
 * A network family creates them from its config before the graph exists, so a controller
 * can inspect every site up front; controllers choose sites by these fields, never by a
 * pattern on a path.
 */

/** `image`: attention to image tokens (an adapter's own layer), where a family has one. */
export type AttentionKind = 'self' | 'cross' | 'image';

/**
 * A token count: a number when the graph is built for fixed shapes, otherwise a symbolic
 * expression over the graph's named dimensions (e.g. `⌈h/4⌉·⌈w/4⌉`, `tokens`).
 */
export type TokenCount = number | string;

/** The spatial token grid a site attends over: one token per `downsample`² latent cells. */
export interface TokenGrid {
  /** Latent cells per token along each side: 2^level in a UNet, the patch size in a DiT. */
  readonly downsample: number;
  /** h·w, as a number or symbolically. */
  readonly tokens: TokenCount;
}

/**
 * What the family says about where a site sits, for choices that name blocks the way users
 * and papers do. Every field is optional: a family supplies those it has.
 */
export interface SiteTags {
  /** The holding module's name in diffusers' layout (`up_blocks.1.attentions.2`, `transformer_blocks.3`). */
  readonly diffusersBlock?: string;
  /** Position of the site's cross-attention in diffusers' `attn_processors` order (IP-Adapter numbering). */
  readonly processorOrder?: number;
  /** Block number on the decoder side that StyleID's layers count (LDM `output_blocks.N`, a DiT's late blocks). */
  readonly decoderBlock?: number;
  /** Family-specific facts for display and debugging (LDM: stage, level, `input_blocks.N`). */
  readonly family?: Readonly<Record<string, string | number>>;
}

export interface AttentionSite {
  /** Checkpoint path of the attention module, e.g. `model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2`. */
  readonly path: string;
  /** Position among all attention sites of the network in evaluation order (0-based). */
  readonly ordinal: number;
  /** Checkpoint path of the block holding this site. */
  readonly block: string;
  readonly kind: AttentionKind;
  readonly heads: number;
  readonly dimHead: number;
  /** Width of the query stream (heads · dimHead). */
  readonly channels: number;
  readonly grid: TokenGrid;
  readonly queryTokens: TokenCount;
  /** Equal to queryTokens for self-attention; the context length for cross-attention. */
  readonly keyTokens: TokenCount;
  readonly tags: SiteTags;
}

/** The sub-layers a controller can wrap; the block applies norms, modulation, gates and residuals. */
export type SubLayer = 'attn1' | 'attn2' | 'ff';

/** One block of a transformer: self-attention, cross-attention, feed-forward over one token grid. */
export interface BlockSite {
  /** Checkpoint path, e.g. `model.diffusion_model.output_blocks.3.1.transformer_blocks.0`. */
  readonly path: string;
  /** Position among the network's blocks in evaluation order (0-based). */
  readonly ordinal: number;
  readonly channels: number;
  readonly grid: TokenGrid;
  readonly queryTokens: TokenCount;
  readonly self: AttentionSite;
  readonly cross?: AttentionSite;
  readonly tags: SiteTags;
}

/** Every site of a network, as controllers plan against it. */
export interface NetworkSites {
  /** Every attention site in evaluation order (`site.ordinal` is the position here). */
  readonly attention: readonly AttentionSite[];
  readonly blocks: readonly BlockSite[];
}

/** Sites with the lookup a network builder uses while it builds: its block at a checkpoint path. */
export interface IndexedSites extends NetworkSites {
  block(path: string): BlockSite;
}

/** Indexes a network's sites by block path; a builder reaching a block the plan lacks is a bug, said plainly. */
export function indexSites(network: string, attention: readonly AttentionSite[], blocks: readonly BlockSite[]): IndexedSites {
  const byPath = new Map(blocks.map((b) => [b.path, b]));
  return {
    attention,
    blocks,
    block(path) {
      const b = byPath.get(path);
      if (!b) throw new StudioError('RUNTIME_FAILURE', `${network} builder reached ${path}, which the site plan does not list`);
      return b;
    },
  };
}

/** The finest grid (smallest downsampling) among sites of a kind. */
export function finestDownsample(sites: readonly AttentionSite[], kind: AttentionKind): number {
  return Math.min(...sites.filter((s) => s.kind === kind).map((s) => s.grid.downsample));
}
