import { relativePositionBucket } from '../../../engine/models/t5/relativePosition.ts';

type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

/** x [n, in] · Wᵀ, W [out, in]. */
function linear(x: Float64Array, n: number, w: { shape: number[]; data: Float32Array }): Float64Array {
  const [out, inp] = w.shape;
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++) for (let o = 0; o < out; o++) {
    let s = 0;
    for (let k = 0; k < inp; k++) s += x[i * inp + k] * w.data[o * inp + k];
    y[i * out + o] = s;
  }
  return y;
}

function rms(x: Float64Array, n: number, d: number, w: Float32Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let k = 0; k < d; k++) m += x[i * d + k] ** 2;
    const r = 1 / Math.sqrt(m / d + 1e-6);
    for (let k = 0; k < d; k++) y[i * d + k] = x[i * d + k] * r * w[k];
  }
  return y;
}

const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
/** erf by Abramowitz–Stegun 7.1.26 is too coarse; integrate the exact GELU through Φ's series instead. */
function geluExact(v: number): number {
  const z = v / Math.SQRT2;
  let sum = z, term = z;
  for (let n = 1; n < 80; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 * v * (1 + (2 / Math.sqrt(Math.PI)) * sum);
}

/**
 * transformers' T5 encoder in float64, one sequence: ids [L], mask [L] → [L, d].
 * `ff` picks the feed-forward: v1.1 gated tanh-GELU, gated exact GELU, or v1.0 ReLU on `wi`.
 */
export function t5Reference(t: Tensors, ids: readonly number[], mask: readonly number[], o: { layers: number; heads: number; ff: 'gated-gelu' | 'gated-gelu-exact' | 'relu' }): Float64Array {
  const get = (k: string) => t.get(k)!;
  const L = ids.length;
  const [, d] = get('shared.weight').shape;
  let x = new Float64Array(L * d);
  ids.forEach((id, i) => { for (let k = 0; k < d; k++) x[i * d + k] = get('shared.weight').data[id * d + k]; });
  const rel = get('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
  const H = o.heads;
  for (let b = 0; b < o.layers; b++) {
    const p = (n: string) => get(`encoder.block.${b}.${n}`);
    const h = rms(x, L, d, p('layer.0.layer_norm.weight').data);
    const [q, k, v] = ['q', 'k', 'v'].map((n) => linear(h, L, p(`layer.0.SelfAttention.${n}.weight`)));
    const inner = p('layer.0.SelfAttention.q.weight').shape[0], dk = inner / H;
    const a = new Float64Array(L * inner);
    for (let hd = 0; hd < H; hd++) for (let i = 0; i < L; i++) {
      const s = new Float64Array(L);
      let max = -Infinity;
      for (let j = 0; j < L; j++) {
        let dot = 0;
        for (let c = 0; c < dk; c++) dot += q[i * inner + hd * dk + c] * k[j * inner + hd * dk + c];
        s[j] = dot + rel.data[relativePositionBucket(j - i, rel.shape[0], 128) * H + hd] + (mask[j] ? 0 : -1e30);
        max = Math.max(max, s[j]);
      }
      let z = 0;
      for (let j = 0; j < L; j++) z += (s[j] = Math.exp(s[j] - max));
      for (let j = 0; j < L; j++) for (let c = 0; c < dk; c++) a[i * inner + hd * dk + c] += (s[j] / z) * v[j * inner + hd * dk + c];
    }
    const y = linear(a, L, p('layer.0.SelfAttention.o.weight')).map((val, i) => val + x[i]);
    const n = rms(y, L, d, p('layer.1.layer_norm.weight').data);
    const f = (m: string) => p(`layer.1.DenseReluDense.${m}.weight`);
    let inner2: Float64Array;
    if (o.ff === 'relu') inner2 = linear(n, L, f('wi')).map((val) => Math.max(0, val));
    else {
      const act = o.ff === 'gated-gelu' ? geluTanh : geluExact;
      const lin = linear(n, L, f('wi_1'));
      inner2 = linear(n, L, f('wi_0')).map((val, i) => act(val) * lin[i]);
    }
    x = linear(inner2, L, f('wo')).map((val, i) => val + y[i]);
  }
  return rms(x, L, d, get('encoder.final_layer_norm.weight').data);
}
