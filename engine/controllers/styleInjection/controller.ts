import { StudioError } from '../../api/errors.ts';
import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { Attend, AttendOptions, AttentionController, ControllerGraphContext, ControllerInput, ControllerPlan, QKV, StepInfo } from '../controller.ts';
import type { AttentionSite } from '../site.ts';
import { decoderBlockOf } from './layers.ts';
import { type StyleInjectionOptions, resolveStyleInjection } from './options.ts';

export const STYLE_INJECTION_CONTROLLER = 'style-injection';

/** The declared batch layout: the three branches share one UNet call (DESIGN D2, ALGORITHMS §4.4). */
export const STYLE_ROWS = { content: 0, style: 1, stylised: 2 } as const;

/**
 * StyleID's attention injection as a graph plugin. The batch is [content, style, stylised]:
 * rows 0 and 1 are recomputed from the cached inversion latents at the same timestep, so
 * their Q/K/V are exactly the features the reference stores during inversion, without
 * caching gigabytes of them. At the chosen decoder self-attention sites the stylised row
 * attends with q̃ = γ·Q_content + (1 − γ)·Q_stylised scaled by T, to the style row's K and V;
 * rows 0 and 1 stay plain. γ and T are feeds (sliders do not rebuild the session).
 */
export function styleInjection(options: Partial<StyleInjectionOptions> = {}): AttentionController {
  const o = resolveStyleInjection(options);
  const layers = new Set(o.layers);
  const hooks = styleHooks(o);
  return {
    name: STYLE_INJECTION_CONTROLLER,
    plan(sites) {
      const found = new Set(sites.attention.filter((s) => s.kind === 'self').map(decoderBlockOf).filter((i) => i !== undefined));
      const missing = o.layers.filter((l) => !found.has(l));
      if (missing.length) {
        throw new StudioError('INVALID_REQUEST', `Style injection: this network has no decoder self-attention in output block(s) ${missing.join(', ')} (it has ${[...found].join(', ')})`, { missing });
      }
      return Object.freeze({
        name: STYLE_INJECTION_CONTROLLER,
        priority: 60,
        conflicts: [
          // Rows have fixed meanings; anything else that owns the batch layout (prompt-to-prompt) conflicts.
          { kind: 'claims', resource: 'batch-layout' },
          {
            kind: 'excludes', controller: 'tome',
            reason: 'token merging picks merged tokens per batch row, so the style row\'s keys would no longer be the tokens the stylised row\'s queries expect beside them',
          },
        ],
        signature: `layers=${o.layers.join(',')};kv=${o.substituteKV ? 'style' : 'own'}`,
        appliesTo: (site: AttentionSite) => site.kind === 'self' && layers.has(decoderBlockOf(site) ?? -1),
        outputs: [],
        ...hooks,
      } satisfies ControllerPlan);
    },
  };
}

function styleHooks(o: StyleInjectionOptions) {
  const rows = (g: GraphBuilder, x: Value, a: number, b: number) => op.slice(g, x, [a], [b], [0]);
  let feeds: Record<string, HostTensor> | undefined;
  return {
    inputs: [
      { name: 'gamma', dtype: 'float32', dims: [1], meaning: 'query preservation γ' },
      { name: 'temperature', dtype: 'float32', dims: [1], meaning: 'attention temperature T (multiplies q̃)' },
    ] as ControllerInput[],
    replaceAttention(ctx: ControllerGraphContext, _site: AttentionSite, { q, k, v }: QKV, next: Attend, opts: AttendOptions): Value {
      const g = ctx.g;
      const gamma = op.cast(g, ctx.input('gamma'), g.computeType);
      const temperature = op.cast(g, ctx.input('temperature'), g.computeType);
      const plain = next({ q: rows(g, q, 0, 2), k: rows(g, k, 0, 2), v: rows(g, v, 0, 2) }, opts);
      const qc = rows(g, q, STYLE_ROWS.content, STYLE_ROWS.content + 1);
      const qcs = rows(g, q, STYLE_ROWS.stylised, STYLE_ROWS.stylised + 1);
      // q̃ = γ·q_c + (1 − γ)·q_cs, then ·T (the diffusers port's form of the temperature).
      const blended = op.add(g, op.mul(g, qc, gamma), op.mul(g, qcs, op.sub(g, g.scalar(1, g.computeType), gamma)));
      const src = o.substituteKV ? STYLE_ROWS.style : STYLE_ROWS.stylised;
      const stylised = next({ q: op.mul(g, blended, temperature), k: rows(g, k, src, src + 1), v: rows(g, v, src, src + 1) }, opts);
      return op.concat(g, [plain, stylised], 0);
    },
    feeds(step: StepInfo) {
      if (step.timesteps.length !== 3) throw new StudioError('RUNTIME_FAILURE', `Style injection runs on a batch of [content, style, stylised], got ${step.timesteps.length} rows`);
      return (feeds ??= {
        gamma: { data: Float32Array.of(o.gamma), dims: [1] },
        temperature: { data: Float32Array.of(o.temperature), dims: [1] },
      });
    },
  };
}
