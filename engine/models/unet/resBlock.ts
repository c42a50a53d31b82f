import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { conv2d } from '../../nn/conv.ts';
import { linear } from '../../nn/linear.ts';
import { groupNorm } from '../../nn/norm.ts';
import type { WeightScope } from '../../nn/types.ts';

/**
 * LDM ResBlock: in_layers (GroupNorm 1e-5, SiLU, conv 3x3), plus the projected time
 * embedding, out_layers (GroupNorm, SiLU, dropout, conv 3x3), plus the skip (a 1x1
 * `skip_connection` where the width changes).
 * `embAct` is SiLU(emb), computed once for the whole network: every emb_layers starts with it.
 * x [B, Cin, H, W], embAct [B, T] → [B, Cout, H, W].
 */
export function resBlock(g: GraphBuilder, w: WeightScope, x: Value, embAct: Value): Value {
  return g.within(w.prefix, () => {
    let h = conv2d(g, w.scope('in_layers.2'), op.silu(g, groupNorm(g, w.scope('in_layers.0'), x)));
    const e = linear(g, w.scope('emb_layers.1'), embAct); // [B, Cout]
    h = op.add(g, h, op.unsqueeze(g, e, [2, 3]));
    // out_layers.2 is Dropout: the index gap mirrors the checkpoint's Sequential.
    h = conv2d(g, w.scope('out_layers.3'), op.silu(g, groupNorm(g, w.scope('out_layers.0'), h)));
    const skip = w.has('skip_connection.weight') ? conv2d(g, w.scope('skip_connection'), x) : x;
    return op.add(g, skip, h);
  });
}

/** `op`: conv 3x3, stride 2, padding 1 → ⌈H/2⌉ × ⌈W/2⌉. */
export function downsample(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return conv2d(g, w.scope('op'), x, { stride: 2, padding: 1 });
}

/**
 * Nearest-neighbour upsampling to the spatial size of `skip` (the tensor it will be
 * concatenated with), then conv 3x3. For even sizes this is exactly LDM's ×2; for odd
 * latent sizes, where ×2 overshoots by one, it is diffusers' `output_size` behaviour
 * (torch nearest: src = ⌊dst · in/out⌋), so any latent size runs without padding.
 */
export function upsample(g: GraphBuilder, w: WeightScope, x: Value, skip: Value): Value {
  return g.within(w.prefix, () => {
    const sizes = op.concat(g, [op.shapeOf(g, x, 0, 2), op.shapeOf(g, skip, 2, 4)], 0);
    const up = g.op('Resize', [x, null, null, sizes], {
      mode: 'nearest', nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric',
    });
    return conv2d(g, w.scope('conv'), up);
  });
}
