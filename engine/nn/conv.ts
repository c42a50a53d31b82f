import type { GraphBuilder, Value } from '../graph/builder.ts';
import * as op from '../graph/ops/index.ts';
import { type WeightScope, modulePath } from './types.ts';

export interface Conv2dOptions {
  stride?: number;
  /** Symmetric padding; default kernel/2 ("same" for odd kernels at stride 1). */
  padding?: number;
  /** Explicit [top, left, bottom, right] padding, e.g. LDM's asymmetric (0, 1) downsampling. */
  pads?: readonly [number, number, number, number];
}

/**
 * torch.nn.Conv2d from `weight` [Cout, Cin, kh, kw] and optional `bias` [Cout] in scope `w`.
 * x [B, Cin, H, W] → [B, Cout, H', W'].
 */
export function conv2d(g: GraphBuilder, w: WeightScope, x: Value, opts: Conv2dOptions = {}): Value {
  const weight = w.get('weight');
  const [, , kh, kw] = weight.shape;
  const s = opts.stride ?? 1;
  const p = opts.padding;
  const pads = (opts.pads ?? (p !== undefined ? [p, p, p, p] : [kh >> 1, kw >> 1, kh >> 1, kw >> 1])) as [number, number, number, number];
  const bias = w.has('bias') ? g.weight(w.get('bias')) : null;
  let wv = g.weight(weight);
  if (w.adapters) wv = w.adapters.weight(g, w.prefix, wv, weight);
  const y = op.conv(g, x, wv, bias, { strides: [s, s], pads, name: modulePath(w, 'conv') });
  return w.adapters ? w.adapters.output(g, w.prefix, x, y, { strides: [s, s], pads }) : y;
}
