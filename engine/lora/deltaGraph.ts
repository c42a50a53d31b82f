import type { GraphBuilder, Value } from '../graph/builder.ts';
import * as op from '../graph/ops/index.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import type { LoraModule } from './loraFile.ts';

/** A LoRA file's tensor as a graph weight, named apart from the checkpoint's and the other files'. */
export function loraWeight(g: GraphBuilder, slot: number, info: TensorInfo): Value {
  return g.weight({ ...info, name: `lora${slot}:${info.name}`, sourceName: info.name });
}

const matrix = (g: GraphBuilder, v: Value, rows: number) => op.reshape(g, v, [rows, -1]);

/**
 * ΔW of a module in the target weight's shape, from the file's factors (unscaled; alpha/rank
 * and the multiplier are applied by the caller). Built from initializers only, so onnxruntime
 * folds it into a constant when the session is made.
 * - LoRA: up [out, r] @ down [r, in·kh·kw] (sd-scripts' merge, 3x3 LoCon included);
 * - LoHa: (w1a @ w1b) ⊙ (w2a @ w2b);
 * - LoKr: kron(W1, W2), W1 unsqueezed to [a, b, 1, 1] for a conv (A1111's make_kron).
 */
export function deltaWeight(g: GraphBuilder, slot: number, m: LoraModule, target: readonly number[]): Value {
  const w = (info: TensorInfo) => loraWeight(g, slot, info);
  const product = (a: TensorInfo, b: TensorInfo) => op.matmul(g, matrix(g, w(a), a.shape[0]), matrix(g, w(b), b.shape[0]));
  let delta: Value;
  if (m.kind === 'lora') delta = product(m.up, m.down);
  else if (m.kind === 'loha') delta = op.mul(g, product(m.w1a, m.w1b), product(m.w2a, m.w2b));
  else delta = kron(g, factor(g, slot, m.w1), factor(g, slot, m.w2), target);
  return op.reshape(g, delta, [...target]);
}

interface Factor { readonly value: Value; readonly rows: number; readonly cols: number }

function factor(g: GraphBuilder, slot: number, f: TensorInfo | readonly [TensorInfo, TensorInfo]): Factor {
  if (!Array.isArray(f)) {
    const t = f as TensorInfo;
    return { value: matrix(g, loraWeight(g, slot, t), t.shape[0]), rows: t.shape[0], cols: t.shape.slice(1).reduce((a, b) => a * b, 1) };
  }
  const [a, b] = f as readonly [TensorInfo, TensorInfo];
  const value = op.matmul(g, matrix(g, loraWeight(g, slot, a), a.shape[0]), matrix(g, loraWeight(g, slot, b), b.shape[0]));
  return { value, rows: a.shape[0], cols: b.shape.slice(1).reduce((x, y) => x * y, 1) };
}

/** kron(A [a, b], B [c, d·k]) for a target [a·c, b·d, …kernel]: the kernel stays with B. */
function kron(g: GraphBuilder, A: Factor, B: Factor, target: readonly number[]): Value {
  const kernel = target.slice(2).reduce((x, y) => x * y, 1);
  const d = B.cols / kernel;
  const a6 = op.reshape(g, A.value, [A.rows, 1, A.cols, 1, 1]);
  const b6 = op.reshape(g, B.value, [1, B.rows, 1, d, kernel]);
  return op.reshape(g, op.mul(g, a6, b6), [A.rows * B.rows, A.cols * d * kernel]);
}

/** x through the module's low-rank pair placed like the target layer: up(down(x)). */
export function lowRankBranch(g: GraphBuilder, slot: number, m: Extract<LoraModule, { kind: 'lora' }>, x: Value, conv: { strides: readonly [number, number]; pads: readonly [number, number, number, number] } | null): Value {
  const down = loraWeight(g, slot, m.down);
  const up = loraWeight(g, slot, m.up);
  if (!conv) {
    const h = op.matmul(g, x, op.transpose(g, matrix(g, down, m.rank), [1, 0]));
    return op.matmul(g, h, op.transpose(g, matrix(g, up, m.up.shape[0]), [1, 0]));
  }
  const down4 = m.down.shape.length === 4 ? down : op.reshape(g, down, [m.rank, -1, 1, 1]);
  const h = op.conv(g, x, down4, null, { strides: [...conv.strides] as [number, number], pads: [...conv.pads] as [number, number, number, number] });
  return op.conv(g, h, op.reshape(g, up, [m.up.shape[0], m.rank, 1, 1]), null, {});
}
