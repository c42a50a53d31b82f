/** Straightforward TypeScript references for the IP-Adapter tests (row-major, float64 sums). */

/** x [n, inF] · Wᵀ (W [out, inF]) + b. */
export function linear(x: Float32Array, n: number, inF: number, w: Float32Array, out: number, b?: Float32Array): Float32Array {
  const y = new Float32Array(n * out);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < inF; k++) s += x[i * inF + k] * w[o * inF + k];
      y[i * out + o] = s;
    }
  }
  return y;
}

export function layerNorm(x: Float32Array, n: number, c: number, gamma: Float32Array, beta: Float32Array, eps = 1e-5): Float32Array {
  const y = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += x[i * c + k];
    mean /= c;
    let v = 0;
    for (let k = 0; k < c; k++) v += (x[i * c + k] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / c + eps);
    for (let k = 0; k < c; k++) y[i * c + k] = (x[i * c + k] - mean) * inv * gamma[k] + beta[k];
  }
  return y;
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
export const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));

/** Multi-head softmax(q kᵀ · scale) v for one batch row: q [S, h·d], k [L, h·d], v [L, h·d]. */
export function mha(q: Float32Array, k: Float32Array, v: Float32Array, S: number, L: number, heads: number, d: number, scale = 1 / Math.sqrt(d)): Float32Array {
  const C = heads * d;
  const out = new Float32Array(S * C);
  const logits = new Float64Array(L);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < S; i++) {
      let max = -Infinity;
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += q[i * C + h * d + e] * k[j * C + h * d + e];
        logits[j] = s * scale;
        max = Math.max(max, logits[j]);
      }
      let sum = 0;
      for (let j = 0; j < L; j++) sum += logits[j] = Math.exp(logits[j] - max);
      for (let e = 0; e < d; e++) {
        let acc = 0;
        for (let j = 0; j < L; j++) acc += logits[j] * v[j * C + h * d + e];
        out[i * C + h * d + e] = acc / sum;
      }
    }
  }
  return out;
}

export const rows = (x: Float32Array, b: number, n: number) => x.subarray(b * n, (b + 1) * n);
