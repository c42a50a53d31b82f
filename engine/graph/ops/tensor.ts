import type { GraphBuilder, Value } from '../builder.ts';

/** Reshape; 0 copies the input's dimension, -1 infers one dimension. */
export function reshape(g: GraphBuilder, x: Value, shape: readonly number[] | Value): Value {
  const s = Array.isArray(shape) ? g.ints(shape as number[], 'shape') : (shape as Value);
  return g.op('Reshape', [x, s]);
}

export function transpose(g: GraphBuilder, x: Value, perm: readonly number[]): Value {
  return g.op('Transpose', [x], { perm });
}

export function concat(g: GraphBuilder, xs: readonly Value[], axis: number): Value {
  return xs.length === 1 ? xs[0] : g.op('Concat', xs, { axis });
}

/** Slice along `axes` from `starts` to `ends` (exclusive; use a large number for "to the end"). */
export function slice(g: GraphBuilder, x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): Value {
  return g.op('Slice', [x, g.ints(starts, 'starts'), g.ints(ends, 'ends'), g.ints(axes, 'axes'), steps ? g.ints(steps, 'steps') : null]);
}

/** Split along `axis` into pieces of the given sizes, or into `parts` equal pieces. */
export function split(g: GraphBuilder, x: Value, axis: number, sizes: readonly number[] | { parts: number }): Value[] {
  if ('parts' in sizes) return g.node('Split', [x], { axis, num_outputs: sizes.parts }, { outputs: sizes.parts });
  return g.node('Split', [x, g.ints(sizes, 'split')], { axis }, { outputs: sizes.length });
}

export function unsqueeze(g: GraphBuilder, x: Value, axes: readonly number[]): Value {
  return g.op('Unsqueeze', [x, g.ints(axes, 'axes')]);
}

export function squeeze(g: GraphBuilder, x: Value, axes: readonly number[]): Value {
  return g.op('Squeeze', [x, g.ints(axes, 'axes')]);
}

/** The runtime shape as an int64 vector (optionally a [start, end) window of it). */
export function shapeOf(g: GraphBuilder, x: Value, start?: number, end?: number): Value {
  return g.op('Shape', [x], { start, end }, { dtype: 'int64' });
}

export function gather(g: GraphBuilder, x: Value, indices: Value, axis = 0): Value {
  return g.op('Gather', [x, indices], { axis }, { dtype: x.dtype });
}

export function expand(g: GraphBuilder, x: Value, shape: Value): Value {
  return g.op('Expand', [x, shape]);
}

/** Zero (or constant) padding; `pads` = [begin per axis..., end per axis...] as ONNX orders them. */
export function pad(g: GraphBuilder, x: Value, pads: readonly number[], value = 0): Value {
  return g.op('Pad', [x, g.ints(pads, 'pads'), g.scalar(value, x.dtype)], { mode: 'constant' });
}

/**
 * Nearest-neighbour upsampling of the last two axes by an integer factor, matching
 * torch's `F.interpolate(mode='nearest')` (asymmetric coordinates, floor rounding; the
 * ONNX defaults — half_pixel — would shift the grid by one pixel).
 */
export function upsampleNearest(g: GraphBuilder, x: Value, factor = 2): Value {
  const scales = g.constant(Float32Array.from([1, 1, factor, factor]), [4], 'scales');
  return g.op('Resize', [x, null, scales], {
    mode: 'nearest', nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric',
  });
}

/** torch pixel_shuffle ordering (CRD), not ONNX's default DCR. */
export function pixelShuffle(g: GraphBuilder, x: Value, r: number): Value {
  return g.op('DepthToSpace', [x], { blocksize: r, mode: 'CRD' });
}
