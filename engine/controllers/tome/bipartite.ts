import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';

/** Per-block index inputs fed from TypeScript (see partition.ts). */
export interface MatchInputs {
  /** int64 [Nd] destination token indices. */
  dst: Value;
  /** int64 [Ns] source token indices (every non-destination token). */
  src: Value;
  /** int64 [1] number of sources merged. */
  r: Value;
  /** float32 [Ns] / [Nd]: 0, or a large negative number for protected tokens (inpainting mask). */
  srcBias?: Value;
  dstBias?: Value;
}

/** Merge [B, N, C] → [B, N − r, C] and its inverse, sharing one group map. */
export interface TokenMerge {
  merge(x: Value): Value;
  unmerge(y: Value): Value;
}

const int64 = (v: Value): Value => ({ name: v.name, dtype: 'int64' });

/**
 * ToMe's bipartite soft matching (ALGORITHMS §2.4, ONNX form §2.6) on `metric` [B, N, C]:
 * cosine similarity of every source to every destination, each source's best destination,
 * sources sorted by that score (TopK), the top r merged. The result is a group map
 * g [B, N] → output row, laid out as [unmerged sources (Ns − r) ‖ destinations (Nd)], so
 * - merge = scatter-add of the rows into their group / group size (the mean with the
 *   destination itself included — ONNX has no "mean" reduction),
 * - unmerge = gather by g (a merged source copies its destination's output).
 * The batch is flattened into the row axis so both are row-wise ScatterND / Gather — no
 * [B, N, C] index tensors.
 */
export function bipartiteSoftMatching(g: GraphBuilder, metric: Value, m: MatchInputs): TokenMerge {
  const i64 = { dtype: 'int64' as const };
  const zero = g.scalar(0, 'int64');
  const one = g.scalar(1, 'int64');
  const range = (n: Value) => g.op('Range', [zero, op.squeeze(g, n, [0]), one], {}, i64);

  const xn = g.op('LpNormalization', [metric], { axis: -1, p: 2 });
  const a = op.gather(g, xn, m.src, 1); // [B, Ns, C]
  const b = op.gather(g, xn, m.dst, 1); // [B, Nd, C]
  let scores = op.matmul(g, a, op.transpose(g, b, [0, 2, 1])); // [B, Ns, Nd]
  if (m.dstBias) scores = op.add(g, scores, op.cast(g, m.dstBias, scores.dtype));
  // float32 for TopK whatever the compute type (CPU TopK has no fp16 kernel).
  let nodeMax = op.cast(g, g.op('ReduceMax', [scores, g.ints([-1])], { keepdims: 0 }), 'float32'); // [B, Ns]
  if (m.srcBias) nodeMax = op.add(g, nodeMax, m.srcBias);
  const nodeIdx = g.op('ArgMax', [scores], { axis: -1, keepdims: 0 }, i64); // [B, Ns] best destination

  const ns = op.shapeOf(g, m.src); // [1]
  const nd = op.shapeOf(g, m.dst);
  const order = int64(g.node('TopK', [nodeMax, ns], { axis: -1, largest: 1, sorted: 1 }, { outputs: 2 })[1]); // [B, Ns] sources by score
  const kept = op.sub(g, ns, m.r); // [1] unmerged sources
  const pos = range(ns); // rank in the sorted order
  const bestDst = g.op('GatherElements', [nodeIdx, order], { axis: 1 }, i64);
  const sortedRow = op.where(g, g.op('Less', [pos, m.r], {}, { dtype: 'bool' }), op.add(g, bestDst, kept), op.sub(g, pos, m.r));
  const srcRow = g.op('ScatterElements', [op.mul(g, order, 0), order, sortedRow], { axis: 1 }, i64); // [B, Ns] by source position

  const B = op.shapeOf(g, metric, 0, 1);
  const N = op.shapeOf(g, metric, 1, 2);
  const dstRow = op.expand(g, op.add(g, range(nd), kept), op.concat(g, [B, nd], 0)); // [B, Nd]
  const tokens = op.expand(g, op.concat(g, [m.src, m.dst], 0), op.concat(g, [B, N], 0)); // [B, N]
  const groups = g.op('ScatterElements', [op.mul(g, tokens, 0), tokens, op.concat(g, [srcRow, dstRow], 1)], { axis: 1 }, i64); // [B, N]

  const M = op.add(g, kept, nd); // rows after merging: N − r
  const flatGroups = op.add(g, groups, op.mul(g, op.unsqueeze(g, range(B), [1]), M)); // [B, N] rows of the flattened [B·M, C]
  const scatterIdx = op.unsqueeze(g, op.reshape(g, flatGroups, [-1]), [1]); // [B·N, 1]
  const rowsOut = op.mul(g, B, M);
  const rowsIn = op.mul(g, B, N);
  const fill = (value: number, rows: Value, width: Value) => op.expand(g, g.scalar(value), op.concat(g, [rows, width], 0));
  const oneCol = g.ints([1]);
  const count = g.op('ScatterND', [fill(0, rowsOut, oneCol), scatterIdx, fill(1, rowsIn, oneCol)], { reduction: 'add' });
  const inverseCount = g.op('Reciprocal', [count]); // [B·M, 1]

  return {
    merge(x) {
      const C = op.shapeOf(g, x, 2, 3);
      const rows = op.reshape(g, x, op.concat(g, [g.ints([-1]), C], 0));
      const sums = g.op('ScatterND', [fill(0, rowsOut, C), scatterIdx, rows], { reduction: 'add' });
      return op.reshape(g, op.mul(g, sums, inverseCount), op.concat(g, [B, M, C], 0));
    },
    unmerge(y) {
      const C = op.shapeOf(g, y, 2, 3);
      return op.gather(g, op.reshape(g, y, op.concat(g, [g.ints([-1]), C], 0)), flatGroups, 0); // [B, N, C]
    },
  };
}
