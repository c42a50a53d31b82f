import { attentionSite } from '../../controllers/attentionSite.ts';
import type { BoundChain } from '../../controllers/chain.ts';
import type { AttentionSite, SubLayer } from '../../controllers/site.ts';
import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { linear } from '../../nn/linear.ts';
import { groupNorm, layerNorm } from '../../nn/norm.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { UNetSites } from './sites.ts';

/**
 * LDM CrossAttention: to_q over x, to_k/to_v over the context (x itself for self-attention),
 * the attention site, to_out.0. x [B, N, C], context [B, L, D] → [B, N, C].
 */
function attentionLayer(g: GraphBuilder, w: WeightScope, x: Value, context: Value, site: AttentionSite, chain: BoundChain): Value {
  const q = linear(g, w.scope('to_q'), x);
  const k = linear(g, w.scope('to_k'), context);
  const v = linear(g, w.scope('to_v'), context);
  return linear(g, w.scope('to_out.0'), attentionSite(g, site, q, k, v, chain));
}

/** GEGLU feed-forward: `net.0.proj` gives [value ‖ gate]; value · gelu_erf(gate) → `net.2`. */
function feedForward(g: GraphBuilder, w: WeightScope, x: Value): Value {
  const [value, gate] = op.split(g, linear(g, w.scope('net.0.proj'), x), -1, { parts: 2 });
  // net.1 is Dropout.
  return linear(g, w.scope('net.2'), op.mul(g, value, op.gelu(g, gate)));
}

/** BasicTransformerBlock over tokens [B, N, C]; each sub-layer goes through the chain's `wrapSubLayer`. */
function transformerBlock(g: GraphBuilder, w: WeightScope, x: Value, context: Value, grid: () => Value, sites: UNetSites, chain: BoundChain): Value {
  const block = sites.block(w.prefix);
  return g.within(w.prefix, () => {
    const sub = (layer: SubLayer, input: Value, f: (t: Value) => Value) => chain.subLayer({ block, layer, blockInput: x, grid }, input, f);
    let h = op.add(g, sub('attn1', layerNorm(g, w.scope('norm1'), x), (t) => attentionLayer(g, w.scope('attn1'), t, t, block.self, chain)), x);
    h = op.add(g, sub('attn2', layerNorm(g, w.scope('norm2'), h), (t) => attentionLayer(g, w.scope('attn2'), t, context, block.cross!, chain)), h);
    return op.add(g, sub('ff', layerNorm(g, w.scope('norm3'), h), (t) => feedForward(g, w.scope('ff'), t)), h);
  });
}

/**
 * SpatialTransformer: GroupNorm (eps 1e-6), proj_in, transformer blocks, proj_out, plus x.
 * SD 1.x's 1x1-conv projections equal linear maps over channels, so both variants run on
 * the token layout [B, H·W, C] (`linear` accepts [C, C, 1, 1] weights) and the map is
 * transposed once each way. x [B, C, H, W], context [B, L, D] → [B, C, H, W].
 */
export function spatialTransformer(g: GraphBuilder, w: WeightScope, x: Value, context: Value, depth: number, sites: UNetSites, chain: BoundChain): Value {
  return g.within(w.prefix, () => {
    const h = groupNorm(g, w.scope('norm'), x, { eps: 1e-6 });
    let tokens = linear(g, w.scope('proj_in'), op.transpose(g, op.reshape(g, h, [0, 0, -1]), [0, 2, 1])); // [B, HW, C]
    let grid: Value | undefined;
    const gridOf = () => (grid ??= op.shapeOf(g, x, 2, 4));
    for (let d = 0; d < depth; d++) tokens = transformerBlock(g, w.scope(`transformer_blocks.${d}`), tokens, context, gridOf, sites, chain);
    tokens = linear(g, w.scope('proj_out'), tokens);
    return op.add(g, op.reshape(g, op.transpose(g, tokens, [0, 2, 1]), op.shapeOf(g, x)), x);
  });
}
