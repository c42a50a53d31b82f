/**
 * Typed descriptors of the places a controller can act on (DESIGN D2). A network builder
 * creates them from its config before the graph exists, so a controller can inspect every
 * site up front; they are data, never parsed from a path string.
 */

export type AttentionStage = 'down' | 'mid' | 'up';
export type AttentionKind = 'self' | 'cross';

/**
 * A token count: a number when the graph is built for fixed shapes, otherwise a symbolic
 * expression over the graph's named dimensions (e.g. `⌈h/4⌉·⌈w/4⌉`, `tokens`).
 */
export type TokenCount = number | string;

export interface AttentionSite {
  /** Checkpoint path of the attention module, e.g. `model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2`. */
  readonly path: string;
  /** Position among all attention sites of the network in forward order (0-based). */
  readonly index: number;
  readonly stage: AttentionStage;
  /** UNet level (0 = full latent resolution). */
  readonly level: number;
  /** Position of the spatial transformer among those of its stage (0-based, forward order). */
  readonly blockIndex: number;
  /** Index inside the transformer's `transformer_blocks` (depth > 1 in SD 2.x-style configs). */
  readonly depth: number;
  readonly kind: AttentionKind;
  readonly heads: number;
  readonly dimHead: number;
  /** Width of the query stream (heads · dimHead). */
  readonly channels: number;
  readonly queryTokens: TokenCount;
  /** Equal to queryTokens for self-attention; the context length (77 · chunks) for cross. */
  readonly keyTokens: TokenCount;
  /** Downsampling factor of this level relative to the latent: 2^level. */
  readonly resolution: number;
}

/** One transformer block (norm1/attn1, norm2/attn2, norm3/ff) — what `wrapBlock` sees. */
export interface TransformerBlockSite {
  /** Checkpoint path, e.g. `model.diffusion_model.output_blocks.3.1.transformer_blocks.0`. */
  readonly path: string;
  readonly stage: AttentionStage;
  readonly level: number;
  readonly blockIndex: number;
  readonly depth: number;
  readonly channels: number;
  readonly queryTokens: TokenCount;
  readonly resolution: number;
  readonly self: AttentionSite;
  readonly cross: AttentionSite;
}
