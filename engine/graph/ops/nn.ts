import { type GraphBuilder, type Value, float } from '../builder.ts';
import { reshape, shapeOf } from './tensor.ts';

export interface ConvOptions {
  strides?: readonly [number, number];
  /** [top, left, bottom, right] as ONNX orders them. */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  group?: number;
  name?: string;
}

/** 2-D convolution, NCHW; weight [Cout, Cin/group, kh, kw], bias [Cout] or null. */
export function conv(g: GraphBuilder, x: Value, weight: Value, bias: Value | null, opts: ConvOptions = {}): Value {
  return g.op('Conv', [x, weight, bias], {
    strides: opts.strides, pads: opts.pads, dilations: opts.dilations, group: opts.group,
  }, { name: opts.name });
}

/** LayerNormalization over the trailing axes from `axis`; scale/bias broadcast against them. */
export function layerNormalization(g: GraphBuilder, x: Value, scale: Value, bias: Value | null, opts: { axis?: number; epsilon: number; name?: string }): Value {
  return g.op('LayerNormalization', [x, scale, bias], { axis: opts.axis ?? -1, epsilon: float(opts.epsilon) }, { name: opts.name });
}

export interface GroupNormOptions {
  groups: number;
  epsilon: number;
  /** Number of axes after the channel axis (2 for NCHW, 1 for [B, C, N]). */
  spatialRank?: number;
  name?: string;
}

/**
 * torch GroupNorm on [B, C, ...]: statistics per (batch, group), then a per-channel affine.
 * Implemented as Reshape [B, G, -1] → LayerNormalization(last axis, unit scale) → Reshape →
 * Mul/Add. On onnxruntime 1.30's CPU provider this measured fastest (13 ms at 256×128×128,
 * against 17 ms for GroupNormalization-18, 19 ms for InstanceNormalization and 26 ms for
 * GroupNormalization-21) and closest to a float64 reference.
 * `gamma`/`beta` are [C] vectors; null skips the affine.
 */
export function groupNorm(g: GraphBuilder, x: Value, gamma: Value | null, beta: Value | null, opts: GroupNormOptions): Value {
  const grouped = reshape(g, x, [0, opts.groups, -1]);
  // Unit scale and zero bias of shape [1] broadcast over the group; onnxruntime 1.30 crashes
  // (process abort) when a broadcast scale comes without an explicit bias, so both are given.
  const normed = g.op('LayerNormalization', [grouped, g.full([1], 1, x.dtype, 'one'), g.full([1], 0, x.dtype, 'zero')], {
    axis: -1, epsilon: float(opts.epsilon),
  }, { name: opts.name });
  let y = reshape(g, normed, shapeOf(g, x));
  const rank = opts.spatialRank ?? 2;
  if (gamma) y = g.op('Mul', [y, channelVector(g, gamma, rank)]);
  if (beta) y = g.op('Add', [y, channelVector(g, beta, rank)]);
  return y;
}

/** [C] → [C, 1, 1] (for spatialRank 2) so it broadcasts over NCHW; folded at load for initializers. */
export function channelVector(g: GraphBuilder, v: Value, spatialRank = 2): Value {
  const axes = Array.from({ length: spatialRank }, (_, i) => i + 1);
  return g.op('Unsqueeze', [v, g.ints(axes, 'axes')]);
}
