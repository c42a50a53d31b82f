import { z } from 'zod';
import { StudioError } from '../../api/errors.ts';

/** Which sub-layers of a transformer block run on merged tokens (tomesd's merge_attn / merge_crossattn / merge_mlp). */
export const MERGE_SUB_LAYERS = ['attn1', 'attn2', 'ff'] as const;
export type MergeSubLayer = (typeof MERGE_SUB_LAYERS)[number];
export const MAX_TOME_RATIO = 0.75;

/**
 * ToMe for SD (Bolya & Hoffman 2023), ALGORITHMS §2: the options and their defaults, written
 * once. The defaults are tomesd's `apply_patch`; the API schema, the CLI flags and their help
 * derive from this.
 */
export const TokenMergingOptionsSchema = z.object({
  /** Fraction of a block's tokens merged away, 0–0.75 (at most 1 − 1/(sx·sy)). 0 = off. */
  ratio: z.number().min(0).max(MAX_TOME_RATIO),
  /** Window width / height in which one destination token is chosen. */
  sx: z.number().int().min(1).max(8).default(2),
  sy: z.number().int().min(1).max(8).default(2),
  /** Random destination per window (seeded); false = top-left of every window. */
  useRand: z.boolean().default(true),
  seed: z.number().int().min(0).default(0),
  /**
   * Merge only in blocks whose tokens are downsampled at most this much from the network's finest
   * self-attention (1 = that level only). SD 1.x/2.x attend at full latent resolution, so this is
   * tomesd's max_downsample; a network without attention there (SDXL, the toy model) merges at its
   * finest attention level rather than nowhere.
   */
  maxDownsample: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(1),
  /** Sub-layers computed on merged tokens; default self-attention only. */
  merge: z.array(z.enum(MERGE_SUB_LAYERS)).min(1).max(3).default(['attn1']),
});

export type TokenMergingOptions = z.output<typeof TokenMergingOptionsSchema>;
export const TOME_DEFAULTS: TokenMergingOptions = TokenMergingOptionsSchema.parse({ ratio: 0.5 });

const bad = (message: string, details?: Record<string, unknown>) => new StudioError('INVALID_REQUEST', `Token merging: ${message}`, details);
const FLAG_NAMES: Record<string, string> = { maxDownsample: 'max_downsample' };

/** Fills defaults and refuses impossible settings with a message naming the option. */
export function resolveTokenMerging(o: Partial<TokenMergingOptions> & { ratio: number }): TokenMergingOptions {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const parsed = TokenMergingOptionsSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? 'options');
    const value = (given as Record<string, unknown>)[key];
    const rule = key === 'ratio' ? `must be between 0 and ${MAX_TOME_RATIO}` : `is invalid (${issue.message})`;
    throw bad(`${FLAG_NAMES[key] ?? key} ${rule}, got ${JSON.stringify(value)}`, { [key]: value });
  }
  const r = parsed.data;
  // With a 1×1 window every token is a destination: nothing could merge.
  if (r.ratio > 0 && r.sx * r.sy < 2) throw bad('sx·sy must be at least 2 (one destination per window, the rest sources)');
  const maxRatio = 1 - 1 / (r.sx * r.sy);
  if (r.ratio > maxRatio + 1e-9) throw bad(`ratio ${r.ratio} exceeds 1 − 1/(sx·sy) = ${maxRatio.toFixed(3)} for a ${r.sx}×${r.sy} window`, { ratio: r.ratio });
  return { ...r, merge: MERGE_SUB_LAYERS.filter((m) => r.merge.includes(m)) };
}
