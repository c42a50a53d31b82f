import { type GraphBuilder, type Value, MS_DOMAIN } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { conv2d } from '../../nn/conv.ts';
import { linear } from '../../nn/linear.ts';
import type { WeightScope } from '../../nn/types.ts';
import { timestepSinusoid } from '../unet/timeEmbedding.ts';
import type { PixArtConfig } from './config.ts';

/** GELU with the tanh approximation (timm/diffusers `gelu-approximate`): onnxruntime's FastGelu. */
export function geluTanh(g: GraphBuilder, x: Value): Value {
  return g.op('FastGelu', [x], {}, { domain: MS_DOMAIN });
}

/** Linear → act → Linear over scopes `<a>` and `<b>` (diffusers linear_1/linear_2). */
function mlp(g: GraphBuilder, w: WeightScope, x: Value, act: (x: Value) => Value): Value {
  return linear(g, w.scope('linear_2'), act(linear(g, w.scope('linear_1'), x)));
}

/**
 * `pos_embed`: Conv2d(k = s = patch) → tokens [B, N, C], plus the 2-D sin-cos table of this
 * grid (fed by the runner, computed in float64). There is no LayerNorm.
 * x [B, Cin, h, w], pos [1, N, C] → [B, N, C].
 */
export function patchEmbed(g: GraphBuilder, w: WeightScope, c: PixArtConfig, x: Value, pos: Value): Value {
  return g.within('pos_embed', () => {
    const p = conv2d(g, w.scope('pos_embed.proj'), x, { stride: c.patchSize, padding: 0 }); // [B, C, h/p, w/p]
    const tokens = op.transpose(g, op.reshape(g, p, [0, 0, -1]), [0, 2, 1]);
    return op.add(g, tokens, op.cast(g, pos, g.computeType));
  });
}

export interface MicroConditions {
  /** [B, 2] (height, width) in pixels. */
  resolution: Value;
  /** [B, 1] height / width. */
  aspectRatio: Value;
}

export interface AdaLNSingle {
  /** The timestep embedding (+ micro-conditions) [B, C]: the final layer's modulation input. */
  embedded: Value;
  /** Linear(SiLU(embedded)) [B, 6C], shared by every block. */
  t0: Value;
}

/**
 * adaLN-single: the 256-wide [cos, sin] sinusoid of t through Linear → SiLU → Linear; with
 * micro-conditions (α-1024-MS) plus [csize(h, w) ‖ ar(h/w)], each scalar embedded the same way;
 * then `t0 = linear(SiLU(·))`. t [B] → { embedded [B, C], t0 [B, 6C] }.
 */
export function adaLNSingle(g: GraphBuilder, w: WeightScope, c: PixArtConfig, t: Value, micro?: MicroConditions): AdaLNSingle {
  return g.within('adaln_single', () => {
    const emb = w.scope('adaln_single.emb');
    const sinusoid = (v: Value) => op.cast(g, timestepSinusoid(g, v, c.frequencyDim), g.computeType);
    let embedded = mlp(g, emb.scope('timestep_embedder'), sinusoid(t), (v) => op.silu(g, v));
    if (c.microConditions && micro) {
      const size = (scope: string, v: Value, scalars: number) => {
        const flat = op.reshape(g, v, [-1]); // [B·scalars]
        const e = mlp(g, emb.scope(scope), sinusoid(flat), (u) => op.silu(g, u)); // [B·scalars, C/3]
        return op.reshape(g, e, [-1, scalars * (c.width / 3)]);
      };
      const cond = op.concat(g, [size('resolution_embedder', micro.resolution, 2), size('aspect_ratio_embedder', micro.aspectRatio, 1)], 1);
      embedded = op.add(g, embedded, cond);
    }
    const t0 = linear(g, w.scope('adaln_single.linear'), op.silu(g, embedded));
    return { embedded, t0 };
  });
}

/** `caption_projection`: raw T5 states [B, L, 4096] → Linear → GELU(tanh) → Linear → [B, L, C]. */
export function captionProjection(g: GraphBuilder, w: WeightScope, caption: Value): Value {
  return g.within('caption_projection', () => mlp(g, w.scope('caption_projection'), caption, (v) => geluTanh(g, v)));
}

/** LayerNorm without affine (eps 1e-6), then ·(1 + scale) + shift; shift/scale [B, 1, C]. */
export function modulatedNorm(g: GraphBuilder, x: Value, width: number, shift: Value, scale: Value): Value {
  // LayerNormalization on ORT 1.30 wants both scale and bias (see graph/CONTEXT.md).
  const n = op.layerNormalization(g, x, g.full([width], 1), g.full([width], 0), { epsilon: 1e-6 });
  return op.add(g, op.mul(g, n, op.add(g, scale, 1)), shift);
}
