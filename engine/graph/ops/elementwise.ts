import type { DType } from '../dtypes.ts';
import { ONNX_DTYPE } from '../dtypes.ts';
import { type GraphBuilder, type Value, MS_DOMAIN, float } from '../builder.ts';

/** A value or a plain number, which becomes a scalar constant of the other operand's type. */
export type Operand = Value | number;

function lift(g: GraphBuilder, x: Operand, like: Value): Value {
  return typeof x === 'number' ? g.scalar(x, like.dtype) : x;
}

function binary(opType: string) {
  return (g: GraphBuilder, a: Operand, b: Operand, name?: string): Value => {
    const ref = typeof a === 'number' ? (b as Value) : a;
    return g.op(opType, [lift(g, a, ref), lift(g, b, ref)], {}, { name });
  };
}

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');
export const pow = binary('Pow');

function unary(opType: string, domain?: string) {
  return (g: GraphBuilder, x: Value, name?: string): Value => g.op(opType, [x], {}, { name, domain });
}

export const neg = unary('Neg');
export const exp = unary('Exp');
export const sqrt = unary('Sqrt');
export const erf = unary('Erf');
export const sigmoid = unary('Sigmoid');
export const tanh = unary('Tanh');
export const relu = unary('Relu');
/** Exact (erf) GELU; onnxruntime's contrib kernel is a single fused pass on every provider. */
export const gelu = unary('Gelu', MS_DOMAIN);

/** x·sigmoid(x) (SiLU / swish); onnxruntime fuses the pair. */
export function silu(g: GraphBuilder, x: Value): Value {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

/** x·sigmoid(1.702x), CLIP's quick_gelu. */
export function quickGelu(g: GraphBuilder, x: Value): Value {
  return g.op('QuickGelu', [x], { alpha: float(1.702) }, { domain: MS_DOMAIN });
}

export function cast(g: GraphBuilder, x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return g.op('Cast', [x], { to: ONNX_DTYPE[to] }, { dtype: to });
}

/** MatMul with numpy broadcasting over leading axes. */
export function matmul(g: GraphBuilder, a: Value, b: Value, name?: string): Value {
  return g.op('MatMul', [a, b], {}, { name });
}

/** Gemm on 2-D operands: alpha·A'·B' + beta·C. */
export function gemm(g: GraphBuilder, a: Value, b: Value, c: Value | null, opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; name?: string } = {}): Value {
  return g.op('Gemm', [a, b, c], {
    transA: opts.transA ? 1 : undefined,
    transB: opts.transB ? 1 : undefined,
    alpha: opts.alpha === undefined ? undefined : float(opts.alpha),
    beta: opts.beta === undefined ? undefined : float(opts.beta),
  }, { name: opts.name });
}

export function softmax(g: GraphBuilder, x: Value, axis = -1): Value {
  return g.op('Softmax', [x], { axis });
}

export function clip(g: GraphBuilder, x: Value, min: number, max: number): Value {
  return g.op('Clip', [x, g.scalar(min, x.dtype), g.scalar(max, x.dtype)]);
}

export function reduceMean(g: GraphBuilder, x: Value, axes: readonly number[], keepdims = true): Value {
  return g.op('ReduceMean', [x, g.ints(axes, 'axes')], { keepdims: keepdims ? 1 : 0 });
}

/** Elementwise select: cond ? a : b. */
export function where(g: GraphBuilder, cond: Value, a: Value, b: Value): Value {
  return g.op('Where', [cond, a, b], {}, { dtype: a.dtype });
}
