/**
 * A plain-loop OpenCLIP text tower (float64 accumulation) read straight from OpenCLIP's own
 * key names — fused `attn.in_proj_*`, `mlp.c_fc` / `c_proj`, `ln_final` — so it shares
 * nothing with the engine's rename tables or graph. Also a seeded random checkpoint for it.
 */

export interface TinyOpenClip {
  vocab: number;
  hidden: number;
  heads: number;
  layers: number;
  positions: number;
  /** OpenCLIP key (without `cond_stage_model.model.`) → values. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** mulberry32 + Box–Muller: reproducible N(0, 1) draws. */
export function normalSource(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Random weights drawn like the golden checkpoints': linear N(0, 1/fan_in), norms 1 + N(0, 0.1²), biases N(0, 0.05²). */
export function randomOpenClip(opts: { vocab: number; hidden: number; heads: number; layers: number; positions?: number; seed?: number }): TinyOpenClip {
  const { vocab, hidden: H, layers } = opts;
  const P = opts.positions ?? 77;
  const normal = normalSource(opts.seed ?? 7);
  const tensors: TinyOpenClip['tensors'] = new Map();
  const put = (name: string, shape: number[], std: number, mean = 0) => {
    const n = shape.reduce((a, d) => a * d, 1);
    tensors.set(name, { shape, data: Float32Array.from({ length: n }, () => mean + std * normal()) });
  };
  put('token_embedding.weight', [vocab, H], 0.5);
  put('positional_embedding', [P, H], 0.25);
  for (let l = 0; l < layers; l++) {
    const p = `transformer.resblocks.${l}`;
    put(`${p}.ln_1.weight`, [H], 0.1, 1);
    put(`${p}.ln_1.bias`, [H], 0.05);
    put(`${p}.attn.in_proj_weight`, [3 * H, H], 1 / Math.sqrt(H));
    put(`${p}.attn.in_proj_bias`, [3 * H], 0.05);
    put(`${p}.attn.out_proj.weight`, [H, H], 1 / Math.sqrt(H));
    put(`${p}.attn.out_proj.bias`, [H], 0.05);
    put(`${p}.ln_2.weight`, [H], 0.1, 1);
    put(`${p}.ln_2.bias`, [H], 0.05);
    put(`${p}.mlp.c_fc.weight`, [4 * H, H], 1 / Math.sqrt(H));
    put(`${p}.mlp.c_fc.bias`, [4 * H], 0.05);
    put(`${p}.mlp.c_proj.weight`, [H, 4 * H], 1 / Math.sqrt(4 * H));
    put(`${p}.mlp.c_proj.bias`, [H], 0.05);
  }
  put('ln_final.weight', [H], 0.1, 1);
  put('ln_final.bias', [H], 0.05);
  // The contrastive head: present in real files, unused for conditioning.
  put('text_projection', [H, H], 1 / Math.sqrt(H));
  put('logit_scale', [], 1);
  return { vocab, hidden: H, heads: opts.heads, layers, positions: P, tensors };
}

/** erf by the Numerical Recipes erfc Chebyshev fit (fractional error < 1.2e-7). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

function layerNorm(x: Float64Array, rows: number, H: number, w: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < H; i++) mean += x[r * H + i];
    mean /= H;
    let v = 0;
    for (let i = 0; i < H; i++) v += (x[r * H + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / H + 1e-5);
    for (let i = 0; i < H; i++) out[r * H + i] = (x[r * H + i] - mean) * inv * w[i] + b[i];
  }
  return out;
}

/** y [rows, out] = x [rows, in] · Wᵀ + b, W [out, in]. */
function linear(x: Float64Array, rows: number, inF: number, w: Float32Array, b: Float32Array, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = b[o];
    for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
    y[r * outF + o] = s;
  }
  return y;
}

/**
 * ldm's FrozenOpenCLIPEmbedder.encode_with_transformer for one sequence: embeddings, the first
 * `layersRun` resblocks with the causal mask, then ln_final. → [positions, hidden].
 */
export function openClipReference(m: TinyOpenClip, ids: readonly number[], layersRun: number): Float64Array {
  const H = m.hidden, P = m.positions, heads = m.heads, d = H / heads;
  const t = (name: string) => m.tensors.get(name)!.data;
  let x = new Float64Array(P * H);
  const tok = t('token_embedding.weight'), pos = t('positional_embedding');
  for (let p = 0; p < P; p++) for (let i = 0; i < H; i++) x[p * H + i] = tok[ids[p] * H + i] + pos[p * H + i];

  for (let l = 0; l < layersRun; l++) {
    const n = (s: string) => t(`transformer.resblocks.${l}.${s}`);
    const h = layerNorm(x, P, H, n('ln_1.weight'), n('ln_1.bias'));
    const qkv = linear(h, P, H, n('attn.in_proj_weight'), n('attn.in_proj_bias'), 3 * H); // [P, q | k | v]
    const att = new Float64Array(P * H);
    for (let hd = 0; hd < heads; hd++) for (let i = 0; i < P; i++) {
      const logits: number[] = [];
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += qkv[i * 3 * H + hd * d + c] * qkv[j * 3 * H + H + hd * d + c];
        logits.push(s / Math.sqrt(d));
      }
      const max = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - max));
      const z = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += (e[j] / z) * qkv[j * 3 * H + 2 * H + hd * d + c];
        att[i * H + hd * d + c] = s;
      }
    }
    const o = linear(att, P, H, n('attn.out_proj.weight'), n('attn.out_proj.bias'), H);
    x = x.map((v, i) => v + o[i]);
    const f = linear(layerNorm(x, P, H, n('ln_2.weight'), n('ln_2.bias')), P, H, n('mlp.c_fc.weight'), n('mlp.c_fc.bias'), 4 * H);
    const g = f.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    const y = linear(g, P, 4 * H, n('mlp.c_proj.weight'), n('mlp.c_proj.bias'), H);
    x = x.map((v, i) => v + y[i]);
  }
  return layerNorm(x, P, H, t('ln_final.weight'), t('ln_final.bias'));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
