import { GraphBuilder, MS_DOMAIN, type Value, float } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { linear as nnLinear, type WeightScope } from '../../nn/index.ts';
import { RELATIVE_BIAS, type T5Config } from './config.ts';
import { bucketMatrix } from './relativePosition.ts';

/**
 * - `fused`: com.microsoft MultiHeadAttention with the position bias + padding mask as its
 *   `attention_bias` input and scale 1.
 * - `explicit`: MatMul → Add(bias) → Softmax → MatMul, the parity reference.
 */
export type T5AttentionKernel = 'fused' | 'explicit';

/**
 * Where fp16 weights become float32 (arithmetic is float32 either way, results identical):
 * - `run` (default): the weights stay as stored and each is cast while its layer runs (the
 *   cast depends on the input, so onnxruntime cannot fold it), so memory holds the fp16
 *   weights plus one layer's float32 copy. Measured on a 390M-parameter fp16 T5 (d 1536,
 *   12 layers), 2 threads: peak RSS 0.96 GiB, session 0.5 s, encode 4.4-5.0 s;
 * - `load`: Cast right after each initializer, folded at session creation: the session
 *   holds every weight in float32 — same model: 2.99 GiB, 24 s, 4.4 s. T5-XXL's 4.8B
 *   encoder parameters would need about 36 GiB this way, about 11 GiB with `run`.
 */
export type T5WeightCast = 'load' | 'run';

export interface T5GraphOptions {
  /** Tokens per sequence (PixArt-α 120, Σ 300): the bucket matrix is baked in for it. */
  length: number;
  kernel?: T5AttentionKernel;
  /** Default `run`. */
  weightCast?: T5WeightCast;
}

/** What the padding mask adds on masked keys: transformers' `finfo(float32).min`. */
const MASKED = -3.4028234663852886e38;

/** Everything that changes the graph besides the length (which is the session's shape key). */
export function t5Signature(c: T5Config, opts: Omit<T5GraphOptions, 'length'> = {}): string {
  return `layers=${c.numLayers};heads=${c.numHeads};ff=${c.feedForward};buckets=${c.numBuckets}/${c.maxDistance};eps=${c.layerNormEps};kernel=${opts.kernel ?? 'fused'};cast=${opts.weightCast ?? 'run'}`;
}

/**
 * The T5 v1.1 encoder stack (transformers' T5EncoderModel) over the canonical key tree.
 * Graph: `ids` int64 [batch, L], `mask` int64 [batch, L] (1 = token or EOS, 0 = padding)
 * → `last_hidden_state` float32 [batch, L, d_model] after `final_layer_norm`, every position.
 *
 * Always computed in float32, whatever the provider prefers: T5 v1.1's feed-forward
 * outputs and residual stream overflow fp16, so fp16 weights are cast up (see T5WeightCast).
 */
export function buildT5EncoderGraph(w: WeightScope, c: T5Config, opts: T5GraphOptions): GraphBuilder {
  const L = opts.length;
  const g = new GraphBuilder({ name: 't5-encoder', computeType: 'float32' });
  const ids = g.input('ids', 'int64', ['batch', L]);
  const mask = g.input('mask', 'int64', ['batch', L]);
  // Rows are gathered as stored and cast after: the same numbers without a float32 copy of the table.
  let x = g.within('shared', () => op.cast(g, op.gather(g, g.rawWeight(w.get('shared.weight')), ids), 'float32')); // [B, L, d]
  const linear = projection(g, ids, opts.weightCast ?? 'run');

  // One bias for every block: block 0's relative-position embedding, plus the padding mask on keys.
  const bias = g.within('position_bias', () => {
    const buckets = g.constant(bucketMatrix(L, c.numBuckets, c.maxDistance), [L, L], 'relative_buckets');
    const table = op.gather(g, g.weight(w.get(RELATIVE_BIAS)), buckets); // [L, L, H]
    const position = op.unsqueeze(g, op.transpose(g, table, [2, 0, 1]), [0]); // [1, H, L, L]
    const keep = op.cast(g, mask, 'float32');
    const masked = op.mul(g, op.sub(g, 1, keep), MASKED); // [B, L]
    return op.add(g, position, op.unsqueeze(g, masked, [1, 2])); // [B, H, L, L]
  });

  for (let i = 0; i < c.numLayers; i++) x = block(g, w.scope(`encoder.block.${i}`), x, bias, c, opts.kernel ?? 'fused', linear);
  x = rmsNorm(g, w.scope('encoder.final_layer_norm'), x, c.layerNormEps);
  g.output(x, 'last_hidden_state', ['batch', L, c.dModel]);
  return g;
}

/** T5LayerNorm: x · rsqrt(mean(x²) + eps) · weight — no mean subtraction, no bias. */
function rmsNorm(g: GraphBuilder, w: WeightScope, x: Value, eps: number): Value {
  return g.within(w.prefix, () => {
    const variance = op.reduceMean(g, op.mul(g, x, x), [-1]);
    const normed = op.div(g, x, op.sqrt(g, op.add(g, variance, eps)));
    return op.mul(g, normed, g.weight(w.get('weight')));
  });
}

/** T5Block of the encoder: x [B, L, d] → [B, L, d]. */
type Linear = (g: GraphBuilder, w: WeightScope, x: Value) => Value;

/** The bias-free linear maps of T5, with weights cast at load (nn's linear) or while running. */
function projection(g: GraphBuilder, ids: Value, cast: T5WeightCast): Linear {
  if (cast === 'load') return nnLinear;
  // A [1] of ones computed from the input's shape: Expand by it copies the weight at run time,
  // which keeps onnxruntime from folding the Cast that follows into a float32 initializer.
  const one = g.within('runtime_one', () => g.op('Min', [op.shapeOf(g, ids, 0, 1), g.ints([1], 'one')]));
  return (g2, w, x) => {
    const info = w.get('weight');
    const raw = g2.rawWeight(info);
    if (raw.dtype === 'float32') return nnLinear(g2, w, x);
    const weight = op.cast(g2, g2.op('Expand', [raw, one], {}, { name: `${info.name}/at_run` }), 'float32');
    const flat = op.reshape(g2, x, [-1, info.shape[1]]);
    const y = op.gemm(g2, flat, weight, null, { transB: true, name: w.prefix });
    return op.reshape(g2, y, op.concat(g2, [op.shapeOf(g2, x, 0, -1), g2.ints([info.shape[0]], 'out')], 0));
  };
}

function block(g: GraphBuilder, w: WeightScope, x: Value, bias: Value, c: T5Config, kernel: T5AttentionKernel, linear: Linear): Value {
  return g.within(w.prefix, () => {
    const a = w.scope('layer.0.SelfAttention');
    const h = rmsNorm(g, w.scope('layer.0.layer_norm'), x, c.layerNormEps);
    const q = linear(g, a.scope('q'), h);
    const k = linear(g, a.scope('k'), h);
    const v = linear(g, a.scope('v'), h);
    const o = biasedAttention(g, q, k, v, bias, c.numHeads, kernel, `${a.prefix}/attention`);
    const y = op.add(g, x, linear(g, a.scope('o'), o));

    const f = w.scope('layer.1.DenseReluDense');
    const n = rmsNorm(g, w.scope('layer.1.layer_norm'), y, c.layerNormEps);
    let inner: Value;
    if (c.feedForward === 'relu') inner = op.relu(g, linear(g, f.scope('wi'), n));
    else {
      const pre = linear(g, f.scope('wi_0'), n);
      // gelu_new is the tanh approximation: com.microsoft FastGelu computes exactly that.
      const act = c.feedForward === 'gated-gelu' ? g.op('FastGelu', [pre], {}, { domain: MS_DOMAIN }) : op.gelu(g, pre);
      inner = op.mul(g, act, linear(g, f.scope('wi_1'), n));
    }
    return op.add(g, y, linear(g, f.scope('wo'), inner));
  });
}

/** softmax(Q·Kᵀ + bias)·V with no 1/√d scaling (T5 folds it into its weights): [B, L, H·d] → [B, L, H·d]. */
function biasedAttention(g: GraphBuilder, q: Value, k: Value, v: Value, bias: Value, heads: number, kernel: T5AttentionKernel, name: string): Value {
  if (kernel === 'fused') {
    return g.op('MultiHeadAttention', [q, k, v, null, null, bias], { num_heads: heads, scale: float(1) }, { domain: MS_DOMAIN, name });
  }
  const qh = op.transpose(g, op.reshape(g, q, [0, 0, heads, -1]), [0, 2, 1, 3]); // [B, H, L, d]
  const kt = op.transpose(g, op.reshape(g, k, [0, 0, heads, -1]), [0, 2, 3, 1]); // [B, H, d, L]
  const probs = op.softmax(g, op.add(g, op.matmul(g, qh, kt), bias), -1);
  return op.applyAttentionProbs(g, probs, v, heads);
}
