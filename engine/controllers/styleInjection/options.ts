import { StudioError } from '../../api/errors.ts';

/** StyleID (Chung et al., CVPR 2024), ALGORITHMS §4; defaults are the reference's `run_styleid.py`. */
export interface StyleInjectionOptions {
  /** Query preservation γ: q̃ = γ·q_content + (1 − γ)·q_stylised. */
  gamma: number;
  /** Attention temperature T: logits = T·q̃·kᵀ/√d. */
  temperature: number;
  /**
   * Decoder blocks (the family's `decoderBlock` tag: LDM `output_blocks` indices) whose self-attention
   * takes the style's K/V (default 6–11 on SD: the two finest decoder levels; pipelines pass
   * `defaultStyleLayers` of the network).
   */
  layers: readonly number[];
  /** Substitute K and V with the style's (the method); false keeps the stylised branch's own, for checks. */
  substituteKV: boolean;
}

export const STYLE_INJECTION_DEFAULTS: StyleInjectionOptions = { gamma: 0.75, temperature: 1.5, layers: [6, 7, 8, 9, 10, 11], substituteKV: true };

export function resolveStyleInjection(o: Partial<StyleInjectionOptions> = {}): StyleInjectionOptions {
  const r = { ...STYLE_INJECTION_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as StyleInjectionOptions;
  if (!Number.isFinite(r.gamma) || r.gamma < 0 || r.gamma > 1) throw new StudioError('INVALID_REQUEST', `Style injection: gamma must be between 0 and 1, got ${o.gamma}`);
  if (!Number.isFinite(r.temperature) || r.temperature <= 0 || r.temperature > 10) throw new StudioError('INVALID_REQUEST', `Style injection: temperature must be in (0, 10], got ${o.temperature}`);
  if (!r.layers.length || r.layers.some((l) => !Number.isInteger(l) || l < 0)) throw new StudioError('INVALID_REQUEST', `Style injection: layers must be output block indices, got ${JSON.stringify(r.layers)}`);
  return { ...r, layers: [...new Set(r.layers)].sort((a, b) => a - b) };
}
