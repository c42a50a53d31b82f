import { GraphBuilder, type Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { layerNorm, linear, type WeightScope } from '../../nn/index.ts';
import type { AdapterLayout, SiteBinding } from './layout.ts';

/**
 * The adapter's own network, run once per set of reference images (never per step): the
 * image projection (ImageProjModel or Resampler) and then every site's to_k_ip / to_v_ip.
 * `features` float32 [B, featureDim] (linear) or [B, N, featureDim] (resampler) →
 * `tokens` [B, T, contextDim] and `k<i>` / `v<i>` [B, T, channels] for binding i.
 */
export function buildIpAdapterGraph(w: WeightScope, layout: AdapterLayout, bindings: readonly SiteBinding[], computeType: 'float32' | 'float16' = 'float32'): GraphBuilder {
  const g = new GraphBuilder({ name: `ip-adapter-${layout.projection}`, computeType });
  const features = layout.projection === 'linear'
    ? g.input('features', 'float32', ['batch', layout.featureDim])
    : g.input('features', 'float32', ['batch', 'n', layout.featureDim]);
  const x = op.cast(g, features, g.computeType);
  const p = w.scope('image_proj');
  const tokens = layout.projection === 'linear' ? linearProjection(g, p, x, layout) : resampler(g, p, x, layout);
  g.output(op.cast(g, tokens, 'float32'), 'tokens', ['batch', layout.tokens, layout.contextDim]);
  bindings.forEach((b, i) => {
    const a = w.scope(`ip_adapter.${b.key}`);
    g.output(op.cast(g, linear(g, a.scope('to_k_ip'), tokens), 'float32'), `k${i}`, ['batch', layout.tokens, b.site.channels]);
    g.output(op.cast(g, linear(g, a.scope('to_v_ip'), tokens), 'float32'), `v${i}`, ['batch', layout.tokens, b.site.channels]);
  });
  return g;
}

/** ImageProjModel: Linear(E → T·D), reshape to T tokens, LayerNorm(D). */
function linearProjection(g: GraphBuilder, p: WeightScope, x: Value, layout: AdapterLayout): Value {
  const flat = linear(g, p.scope('proj'), x); // [B, T·D]
  return layerNorm(g, p.scope('norm'), op.reshape(g, flat, [0, layout.tokens, layout.contextDim]));
}

/**
 * IP-Adapter's Resampler (a Perceiver): learned latents attend to [features ‖ latents].
 * PerceiverAttention pre-scales q and k by d^-¼ each, i.e. one logit scale d^-½, so the
 * fused kernel with that scale is the same computation.
 */
function resampler(g: GraphBuilder, p: WeightScope, x: Value, layout: AdapterLayout): Value {
  const { depth, heads, dimHead } = layout.resampler!;
  const feats = linear(g, p.scope('proj_in'), x); // [B, N, D]
  const latentsW = op.reshape(g, g.weight(p.get('latents')), [1, layout.tokens, layout.contextDim]);
  let lat = op.expand(g, latentsW, op.concat(g, [op.shapeOf(g, x, 0, 1), g.ints([layout.tokens, layout.contextDim])], 0)); // [B, T, D]
  for (let i = 0; i < depth; i++) {
    const a = p.scope(`layers.${i}.0`);
    lat = g.within(a.prefix, () => {
      const xn = layerNorm(g, a.scope('norm1'), feats);
      const ln = layerNorm(g, a.scope('norm2'), lat);
      const q = linear(g, a.scope('to_q'), ln);
      const [k, v] = op.split(g, linear(g, a.scope('to_kv'), op.concat(g, [xn, ln], 1)), -1, { parts: 2 });
      const o = op.attention(g, q, k, v, dimHead, { heads, name: `${a.prefix}/attention` });
      return op.add(g, linear(g, a.scope('to_out'), o), lat);
    });
    const f = p.scope(`layers.${i}.1`);
    lat = g.within(f.prefix, () => {
      const h = linear(g, f.scope('1'), layerNorm(g, f.scope('0'), lat));
      return op.add(g, linear(g, f.scope('3'), op.gelu(g, h)), lat);
    });
  }
  return layerNorm(g, p.scope('norm_out'), linear(g, p.scope('proj_out'), lat));
}
