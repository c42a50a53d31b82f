import type { GraphBuilder, Value } from '../graph/builder.ts';
import * as op from '../graph/ops/index.ts';
import type { AttentionKernel } from '../graph/ops/attention.ts';
import { linear } from './linear.ts';
import { groupNorm } from './norm.ts';
import type { WeightScope } from './types.ts';

export interface SpatialSelfAttentionOptions {
  groups?: number;
  eps?: number;
  kernel?: AttentionKernel;
  /** Replaces the GroupNorm (e.g. with shared statistics for tiled runs); gets the `norm` scope. */
  norm?: (g: GraphBuilder, w: WeightScope, x: Value) => Value;
}

/**
 * LDM's AttnBlock (the VAE's mid-block attention): GroupNorm, single-head self-attention over
 * the H·W positions with 1x1-conv `q`/`k`/`v`/`proj_out` (scale C^-0.5), plus the input.
 * A 1x1 conv over [B, C, H, W] equals a linear map over [B, H·W, C], so the projections run
 * as MatMuls on the token layout and the map is transposed once each way.
 * x [B, C, H, W] → [B, C, H, W].
 */
export function spatialSelfAttention(g: GraphBuilder, w: WeightScope, x: Value, opts: SpatialSelfAttentionOptions = {}): Value {
  return g.within(w.prefix || 'attn', () => {
    const h = opts.norm
      ? opts.norm(g, w.scope('norm'), x)
      : groupNorm(g, w.scope('norm'), x, { groups: opts.groups ?? 32, eps: opts.eps ?? 1e-6 });
    const channels = w.get('q.weight').shape[0];
    const tokens = op.transpose(g, op.reshape(g, h, [0, 0, -1]), [0, 2, 1]); // [B, HW, C]
    const q = linear(g, w.scope('q'), tokens);
    const k = linear(g, w.scope('k'), tokens);
    const v = linear(g, w.scope('v'), tokens);
    const a = op.attention(g, q, k, v, channels, { heads: 1, kernel: opts.kernel, name: `${w.prefix}/attention` });
    const o = linear(g, w.scope('proj_out'), a); // [B, HW, C]
    const back = op.reshape(g, op.transpose(g, o, [0, 2, 1]), op.shapeOf(g, x)); // [B, C, H, W]
    return op.add(g, x, back);
  });
}
