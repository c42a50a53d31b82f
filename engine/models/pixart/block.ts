import { attentionSite } from '../../controllers/attentionSite.ts';
import type { BoundChain } from '../../controllers/chain.ts';
import type { AttentionSite, BlockSite, SubLayer } from '../../controllers/site.ts';
import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { linear } from '../../nn/linear.ts';
import type { WeightScope } from '../../nn/types.ts';
import { geluTanh, modulatedNorm } from './embeddings.ts';

/**
 * The three sub-layers of a PixArt block as plain input → output maps on tokens [B, N, C],
 * without modulation, gates or residuals — what a controller wraps. The block applies the
 * adaLN shift/scale before and the gate after, so no controller touches them.
 */
export interface DiTSubLayers {
  selfAttention(x: Value): Value;
  crossAttention(x: Value): Value;
  mlp(x: Value): Value;
}

/** Attention with to_q over x and to_k/to_v over `kv`, through the one attention-site function. */
function attentionLayer(g: GraphBuilder, w: WeightScope, x: Value, kv: Value, site: AttentionSite, chain: BoundChain): Value {
  const q = linear(g, w.scope('to_q'), x);
  const k = linear(g, w.scope('to_k'), kv);
  const v = linear(g, w.scope('to_v'), kv);
  return linear(g, w.scope('to_out.0'), attentionSite(g, site, q, k, v, chain));
}

export function pixartSubLayers(g: GraphBuilder, w: WeightScope, caption: Value, site: BlockSite, chain: BoundChain): DiTSubLayers {
  return {
    selfAttention: (x) => attentionLayer(g, w.scope('attn1'), x, x, site.self, chain),
    // The query is the raw residual stream: cross-attention has no norm and no gate.
    crossAttention: (x) => attentionLayer(g, w.scope('attn2'), x, caption, site.cross!, chain),
    // ff.net.1 is Dropout: the index gap mirrors diffusers' ModuleList.
    mlp: (x) => linear(g, w.scope('ff.net.2'), geluTanh(g, linear(g, w.scope('ff.net.0.proj'), x))),
  };
}

export interface BlockInputs {
  x: Value;
  /** Projected caption [B, L, C]. */
  caption: Value;
  /** adaLN-single output [B, 6C]. */
  t0: Value;
  /** Runtime token grid [h/p, w/p] (int64 [2]). */
  grid: () => Value;
}

/**
 * One PixArt block (α and Σ alike), `w` at `transformer_blocks.N`:
 *   (shift, scale, gate)_{msa,mlp} = scale_shift_table[6, C] + t0 as [B, 6, C]
 *   x += gate_msa · SelfAttn(LN(x)·(1 + scale_msa) + shift_msa)
 *   x += CrossAttn(x, caption)
 *   x += gate_mlp · MLP(LN(x)·(1 + scale_mlp) + shift_mlp)
 * Each sub-layer passes through the chain's `wrapSubLayer` between the modulated norm and the
 * gate, so a controller (token merging) sees plain input → output maps and the block applies
 * modulation, gates and residuals to the unmerged tokens itself.
 */
export function pixartBlock(g: GraphBuilder, w: WeightScope, width: number, block: BlockSite, inputs: BlockInputs, chain: BoundChain): Value {
  return g.within(w.prefix, () => {
    const table = g.weight(w.get('scale_shift_table')); // [6, C]
    const mods = op.add(g, op.reshape(g, inputs.t0, [0, 6, width]), table); // [B, 6, C]
    const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = op.split(g, mods, 1, { parts: 6 }); // each [B, 1, C]
    const layers = pixartSubLayers(g, w, inputs.caption, block, chain);
    const x = inputs.x;
    const sub = (layer: SubLayer, input: Value, f: (t: Value) => Value) => chain.subLayer({ block, layer, blockInput: x, grid: inputs.grid }, input, f);
    let h = op.add(g, x, op.mul(g, sub('attn1', modulatedNorm(g, x, width, shiftMsa, scaleMsa), layers.selfAttention), gateMsa));
    h = op.add(g, h, sub('attn2', h, layers.crossAttention));
    return op.add(g, h, op.mul(g, sub('ff', modulatedNorm(g, h, width, shiftMlp, scaleMlp), layers.mlp), gateMlp));
  });
}
