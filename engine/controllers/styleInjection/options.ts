import { z } from 'zod';
import { StudioError } from '../../api/errors.ts';

/**
 * StyleID (Chung et al., CVPR 2024), ALGORITHMS §4: the options and their defaults, written
 * once (the reference's `run_styleid.py`); the API schema and the CLI derive from this.
 */
/** Decoder block numbers, without a default: requests leave them out to get the network's own (`defaultStyleLayers`). */
export const StyleLayersSchema = z.array(z.number().int().min(0).max(63)).min(1).max(64);

export const StyleInjectionOptionsSchema = z.object({
  /** Query preservation γ: q̃ = γ·q_content + (1 − γ)·q_stylised (0.3 for stronger style, per the reference README). */
  gamma: z.number().min(0).max(1).default(0.75),
  /** Attention temperature T: logits = T·q̃·kᵀ/√d. */
  temperature: z.number().gt(0).max(10).default(1.5),
  /**
   * Decoder blocks (the family's `decoderBlock` tag: LDM `output_blocks` indices) whose self-attention
   * takes the style's K/V (default 6–11 on SD: the two finest decoder levels; pipelines pass
   * `defaultStyleLayers` of the network).
   */
  layers: StyleLayersSchema.default([6, 7, 8, 9, 10, 11]),
  /** Substitute K and V with the style's (the method); false keeps the stylised branch's own, for checks. */
  substituteKV: z.boolean().default(true),
});

export type StyleInjectionOptions = z.output<typeof StyleInjectionOptionsSchema>;
export const STYLE_INJECTION_DEFAULTS: StyleInjectionOptions = StyleInjectionOptionsSchema.parse({});

export function resolveStyleInjection(o: Partial<StyleInjectionOptions> = {}): StyleInjectionOptions {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const parsed = StyleInjectionOptionsSchema.safeParse(given);
  if (!parsed.success) {
    const key = String(parsed.error.issues[0].path[0] ?? 'options');
    const rule = { gamma: 'must be between 0 and 1', temperature: 'must be in (0, 10]', layers: 'must be output block indices' }[key] ?? 'is invalid';
    throw new StudioError('INVALID_REQUEST', `Style injection: ${key} ${rule}, got ${JSON.stringify((given as Record<string, unknown>)[key])}`);
  }
  return { ...parsed.data, layers: [...new Set(parsed.data.layers)].sort((a, b) => a - b) };
}
