import { StudioError } from '../../api/errors.ts';
import type { Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { Attend, AttendOptions, AttentionController, Conflict, ControllerGraphContext, ControllerInput, QKV, StepInfo } from '../controller.ts';
import type { AttentionSite } from '../site.ts';

export const IP_ADAPTER_CONTROLLER = 'ip-adapter';

/** One reference image's precomputed keys and values at every cross site (host side, computed once). */
export interface ImagePromptKV {
  /** Per cross site (in `sites` order): [T·C] for the conditional rows and for the unconditional ones. */
  readonly cond: ReadonlyArray<{ k: Float32Array; v: Float32Array }>;
  readonly uncond: ReadonlyArray<{ k: Float32Array; v: Float32Array }>;
}

export interface IpAdapterOptions {
  /** The cross-attention sites served, forward order (every cross site of the network). */
  sites: readonly AttentionSite[];
  /** Image tokens per image (4 / 16). */
  tokens: number;
  images: readonly ImagePromptKV[];
  /** scales[m][j]: image m at site j (image scale × block multiplier). */
  scales: readonly (readonly number[])[];
  /**
   * Which batch rows are conditional, for a batch of B. Default: B = 1 → [cond];
   * even B → first half unconditional, second half conditional (guidance's [uncond, cond]).
   */
  condRows?: (batch: number) => boolean[];
}

export function defaultCondRows(batch: number): boolean[] {
  if (batch === 1) return [true];
  if (batch % 2 !== 0) throw new StudioError('RUNTIME_FAILURE', `IP-Adapter cannot tell conditional rows in a batch of ${batch}`);
  return Array.from({ length: batch }, (_, i) => i >= batch / 2);
}

/**
 * IP-Adapter's decoupled cross-attention (Ye et al., ALGORITHMS §3.1) as a graph plugin:
 * at every cross site, out = attn(Q, K_text, V_text) + Σ_m s_m · attn(Q, K_ip,m, V_ip,m) —
 * one separate softmax per reference image, sharing the site's query. K_ip and V_ip come in
 * as feeds (computed once per image by the adapter graph), so images and scales change
 * feeds, never the compiled session; the graph depends only on the image count and tokens.
 */
export function ipAdapter(o: IpAdapterOptions): AttentionController {
  const M = o.images.length;
  if (!M) throw new StudioError('INVALID_REQUEST', 'IP-Adapter needs at least one reference image');
  const S = o.sites.length;
  const slot = new Map(o.sites.map((s, j) => [s.path, j]));
  if (o.scales.length !== M || o.scales.some((r) => r.length !== S)) throw new StudioError('RUNTIME_FAILURE', `IP-Adapter: scales must be ${M}×${S}`);
  for (const img of o.images) {
    if (img.cond.length !== S || img.uncond.length !== S) throw new StudioError('RUNTIME_FAILURE', 'IP-Adapter: keys and values must cover every site');
  }
  const condRows = o.condRows ?? defaultCondRows;
  const name = (kv: 'k' | 'v', j: number, m: number) => `${kv}${j}_${m}`;
  const fed = new Map<number, Record<string, HostTensor>>();

  const feedsFor = (batch: number): Record<string, HostTensor> => {
    const cached = fed.get(batch);
    if (cached) return cached;
    const rows = condRows(batch);
    const out: Record<string, HostTensor> = {
      scale: { data: Float32Array.from(o.scales.flat()), dims: [M, S] },
    };
    o.sites.forEach((site, j) => {
      const n = o.tokens * site.channels;
      for (let m = 0; m < M; m++) {
        for (const kv of ['k', 'v'] as const) {
          const data = new Float32Array(batch * n);
          rows.forEach((cond, b) => data.set((cond ? o.images[m].cond : o.images[m].uncond)[j][kv], b * n));
          out[name(kv, j, m)] = { data, dims: [batch, o.tokens, site.channels] };
        }
      }
    });
    fed.set(batch, out);
    return out;
  };

  const plan = {
    name: IP_ADAPTER_CONTROLLER,
    // Inside prompt-level controllers: the image term is added to whatever text attention they compute.
    priority: 150,
    conflicts: [{
      kind: 'excludes', controller: 'p2p',
      // Prompt-to-prompt rewrites the text attention per branch of a shared batch.
      reason: 'the source and target branches share one batch and it is not settled which should see the image; generate or inpaint with the image prompt instead',
    }] as Conflict[],
    signature: `images=${M};tokens=${o.tokens};sites=${S}`,
    appliesTo: (site: AttentionSite) => site.kind === 'cross',
    inputs: [
      { name: 'scale', dtype: 'float32', dims: [M, S], meaning: 'scale of image m at cross site j' },
      ...o.sites.flatMap((site, j) => Array.from({ length: M }, (_, m) => (['k', 'v'] as const).map((kv) => ({
        name: name(kv, j, m), dtype: 'float32' as const, dims: ['batch', o.tokens, site.channels], meaning: `to_${kv}_ip(image tokens of image ${m}) at ${site.path}`,
      }))).flat()),
    ] as ControllerInput[],
    outputs: [],
    replaceAttention(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, next: Attend, opts: AttendOptions): Value {
      const j = slot.get(site.path)!;
      const g = ctx.g;
      let out: Value = next(qkv, opts);
      for (let m = 0; m < M; m++) {
        const k = op.cast(g, ctx.input(name('k', j, m)), g.computeType);
        const v = op.cast(g, ctx.input(name('v', j, m)), g.computeType);
        // The reference's image branch uses the default 1/√d logit scale whatever the text branch was given.
        const image = op.attention(g, qkv.q, k, v, site.dimHead, { heads: site.heads, kernel: ctx.kernel, name: `${site.path}/ip_attention_${m}` });
        const s = op.cast(g, op.reshape(g, op.slice(g, ctx.input('scale'), [m, j], [m + 1, j + 1], [0, 1]), [1]), g.computeType);
        out = op.add(g, out, op.mul(g, image, s));
      }
      return out;
    },
  };

  return {
    name: IP_ADAPTER_CONTROLLER,
    plan(sites) {
      const cross = sites.attention.filter((s) => s.kind === 'cross');
      const missing = cross.filter((s) => !slot.has(s.path) || o.sites[slot.get(s.path)!].channels !== s.channels);
      if (missing.length || cross.length !== S) {
        throw new StudioError('INVALID_REQUEST', `IP-Adapter keys were prepared for another network (${missing.length ? `no keys for ${missing[0].path}` : `${S} sites, the network has ${cross.length}`})`);
      }
      return Object.freeze({ ...plan, feeds: (step: StepInfo) => feedsFor(step.timesteps.length) });
    },
  };
}
