import { attentionSite } from '../../controllers/attentionSite.ts';
import type { BoundChain } from '../../controllers/chain.ts';
import type { TransformerBlockParts } from '../../controllers/controller.ts';
import type { AttentionSite, TransformerBlockSite } from '../../controllers/site.ts';
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

export function pixartSubLayers(g: GraphBuilder, w: WeightScope, caption: Value, site: TransformerBlockSite, chain: BoundChain): DiTSubLayers {
  return {
    selfAttention: (x) => attentionLayer(g, w.scope('attn1'), x, x, site.self, chain),
    // The query is the raw residual stream: cross-attention has no norm and no gate.
    crossAttention: (x) => attentionLayer(g, w.scope('attn2'), x, caption, site.cross, chain),
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
 * Routed through the chain's block wrappers with today's part names (TODO(issue 17): the
 * neutral wrapper takes `DiTSubLayers`): norm1/norm3 carry the modulation, attn1/ff the gates,
 * norm2 is the identity.
 */
export function pixartBlock(g: GraphBuilder, w: WeightScope, width: number, site: TransformerBlockSite, inputs: BlockInputs, chain: BoundChain): Value {
  return g.within(w.prefix, () => {
    const table = g.weight(w.get('scale_shift_table')); // [6, C]
    const mods = op.add(g, op.reshape(g, inputs.t0, [0, 6, width]), table); // [B, 6, C]
    const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = op.split(g, mods, 1, { parts: 6 }); // each [B, 1, C]
    const layers = pixartSubLayers(g, w, inputs.caption, site, chain);
    const parts: TransformerBlockParts = {
      site,
      grid: inputs.grid,
      norm1: (t) => modulatedNorm(g, t, width, shiftMsa, scaleMsa),
      attn1: (t) => op.mul(g, layers.selfAttention(t), gateMsa),
      norm2: (t) => t,
      attn2: (t) => layers.crossAttention(t),
      norm3: (t) => modulatedNorm(g, t, width, shiftMlp, scaleMlp),
      ff: (t) => op.mul(g, layers.mlp(t), gateMlp),
    };
    const standard = (t: Value): Value => {
      let h = op.add(g, t, parts.attn1(parts.norm1(t)));
      h = op.add(g, h, parts.attn2(parts.norm2(h)));
      return op.add(g, h, parts.ff(parts.norm3(h)));
    };
    return chain.block(parts, inputs.x, standard);
  });
}
