/** Plain-JS reference implementations (float64 accumulation) for graph tests. */

export function conv2dRef(x: Float32Array, [B, C, H, W]: number[], w: Float32Array, [O, , kh, kw]: number[], bias: Float32Array | null, pad: number, stride = 1): { data: Float32Array; dims: number[] } {
  const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
  const out = new Float32Array(B * O * Ho * Wo);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    let s = bias ? bias[o] : 0;
    for (let c = 0; c < C; c++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
      const y = i * stride + u - pad, xx = j * stride + v - pad;
      if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
      s += x[((b * C + c) * H + y) * W + xx] * w[((o * C + c) * kh + u) * kw + v];
    }
    out[((b * O + o) * Ho + i) * Wo + j] = s;
  }
  return { data: out, dims: [B, O, Ho, Wo] };
}

export function groupNormRef(x: Float32Array, [B, C, H, W]: number[], groups: number, gamma: Float32Array, beta: Float32Array, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  const cg = C / groups, hw = H * W, n = cg * hw;
  for (let b = 0; b < B; b++) for (let g = 0; g < groups; g++) {
    const base = (b * C + g * cg) * hw;
    let m = 0;
    for (let i = 0; i < n; i++) m += x[base + i];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[base + i] - m) ** 2;
    const inv = 1 / Math.sqrt(v / n + eps);
    for (let c = 0; c < cg; c++) for (let i = 0; i < hw; i++) {
      const k = base + c * hw + i, ch = g * cg + c;
      out[k] = (x[k] - m) * inv * gamma[ch] + beta[ch];
    }
  }
  return out;
}

/** x [N, in] · Wᵀ + b with W [out, in]. */
export function linearRef(x: Float32Array, n: number, w: Float32Array, out: number, inF: number, bias: Float32Array | null): Float32Array {
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) for (let o = 0; o < out; o++) {
    let s = bias ? bias[o] : 0;
    for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
    y[r * out + o] = s;
  }
  return y;
}

export const silu = (v: number) => v / (1 + Math.exp(-v));

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random floats in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 0x100000000) * 2 - 1) * scale;
  }
  return out;
}

/** Rounds each value through a 16-bit float format (as the stored fp16/bf16 weights are). */
export function roundTo(values: Float32Array, toBits: (v: ArrayLike<number>) => Uint16Array, fromBits: (b: Uint16Array) => Float32Array): Float32Array {
  return fromBits(toBits(values));
}
