import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import { conv2d, groupNorm, spatialSelfAttention, type WeightScope } from '../../nn/index.ts';

/** Every AutoencoderKL GroupNorm: 32 groups, eps 1e-6. */
export const VAE_NORM = { groups: 32, eps: 1e-6 } as const;

export interface VAEBuildOptions {
  kernel?: AttentionKernel;
}

const norm = (g: GraphBuilder, w: WeightScope, x: Value) => groupNorm(g, w, x, VAE_NORM);

/** LDM ResnetBlock without time embedding: norm1 → swish → conv1 → norm2 → swish → conv2, plus (nin_shortcut of) x. */
export function resnetBlock(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return g.within(w.prefix, () => {
    let h = op.silu(g, norm(g, w.scope('norm1'), x));
    h = conv2d(g, w.scope('conv1'), h);
    h = op.silu(g, norm(g, w.scope('norm2'), h));
    h = conv2d(g, w.scope('conv2'), h);
    const skip = w.has('nin_shortcut.weight') ? conv2d(g, w.scope('nin_shortcut'), x) : x;
    return op.add(g, skip, h);
  });
}

/** LDM AttnBlock (single head, 1x1-conv projections). */
export function attnBlock(g: GraphBuilder, w: WeightScope, x: Value, opts: VAEBuildOptions = {}): Value {
  return spatialSelfAttention(g, w, x, { ...VAE_NORM, kernel: opts.kernel });
}

/** LDM Downsample(with_conv): pad right/bottom by one, then 3x3 stride-2 conv without padding. */
export function downsample(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return conv2d(g, w.scope('conv'), x, { stride: 2, pads: [0, 0, 1, 1] });
}

/** LDM Upsample(with_conv): nearest ×2, then 3x3 conv. */
export function upsample(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return conv2d(g, w.scope('conv'), op.upsampleNearest(g, x, 2));
}

/** The middle: block_1 → attn_1 → block_2. */
export function midBlock(g: GraphBuilder, w: WeightScope, x: Value, opts: VAEBuildOptions = {}): Value {
  const h = attnBlock(g, w.scope('attn_1'), resnetBlock(g, w.scope('block_1'), x), opts);
  return resnetBlock(g, w.scope('block_2'), h);
}

/** norm_out → swish → conv_out, shared by encoder and decoder. */
export function outputHead(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return conv2d(g, w.scope('conv_out'), op.silu(g, norm(g, w.scope('norm_out'), x)));
}
