import { StudioError } from '../../api/errors.ts';

/** Which sub-layers of a transformer block run on merged tokens (tomesd's merge_attn / merge_crossattn / merge_mlp). */
export type MergeSubLayer = 'attn1' | 'attn2' | 'ff';

/** ToMe for SD (Bolya & Hoffman 2023), ALGORITHMS §2; defaults are tomesd's `apply_patch`. */
export interface TokenMergingOptions {
  /** Fraction of a block's tokens merged away, 0–0.75 (at most 1 − 1/(sx·sy)). 0 = off. */
  ratio: number;
  /** Window width / height in which one destination token is chosen. */
  sx: number;
  sy: number;
  /** Random destination per window (seeded); false = top-left of every window. */
  useRand: boolean;
  seed: number;
  /**
   * Merge only in blocks whose tokens are downsampled at most this much from the network's finest
   * self-attention (1 = that level only). SD 1.x/2.x attend at full latent resolution, so this is
   * tomesd's max_downsample; a network without attention there (SDXL, the toy model) merges at its
   * finest attention level rather than nowhere.
   */
  maxDownsample: 1 | 2 | 4 | 8;
  /** Sub-layers computed on merged tokens; default self-attention only. */
  merge: readonly MergeSubLayer[];
}

export const TOME_DEFAULTS: TokenMergingOptions = { ratio: 0.5, sx: 2, sy: 2, useRand: true, seed: 0, maxDownsample: 1, merge: ['attn1'] };
export const MAX_TOME_RATIO = 0.75;
const SUB_LAYERS: readonly MergeSubLayer[] = ['attn1', 'attn2', 'ff'];

const bad = (message: string, details?: Record<string, unknown>) => new StudioError('INVALID_REQUEST', `Token merging: ${message}`, details);

/** Fills defaults and refuses impossible settings with a message naming the option. */
export function resolveTokenMerging(o: Partial<TokenMergingOptions> & { ratio: number }): TokenMergingOptions {
  const r: TokenMergingOptions = { ...TOME_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as TokenMergingOptions;
  if (!Number.isFinite(r.ratio) || r.ratio < 0 || r.ratio > MAX_TOME_RATIO) throw bad(`ratio must be between 0 and ${MAX_TOME_RATIO}, got ${o.ratio}`, { ratio: o.ratio });
  for (const k of ['sx', 'sy'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1 || r[k] > 8) throw bad(`${k} must be an integer from 1 to 8, got ${r[k]}`, { [k]: r[k] });
  }
  // With a 1×1 window every token is a destination: nothing could merge.
  if (r.ratio > 0 && r.sx * r.sy < 2) throw bad('sx·sy must be at least 2 (one destination per window, the rest sources)');
  const maxRatio = 1 - 1 / (r.sx * r.sy);
  if (r.ratio > maxRatio + 1e-9) throw bad(`ratio ${r.ratio} exceeds 1 − 1/(sx·sy) = ${maxRatio.toFixed(3)} for a ${r.sx}×${r.sy} window`, { ratio: r.ratio });
  if (![1, 2, 4, 8].includes(r.maxDownsample)) throw bad(`max_downsample must be 1, 2, 4 or 8, got ${r.maxDownsample}`);
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) throw bad(`seed must be a non-negative integer, got ${r.seed}`);
  if (!r.merge.length || r.merge.some((m) => !SUB_LAYERS.includes(m))) throw bad(`merge must list some of ${SUB_LAYERS.join(', ')}, got ${JSON.stringify(r.merge)}`);
  return { ...r, merge: SUB_LAYERS.filter((m) => r.merge.includes(m)) };
}
