import { StudioError } from '../../api/errors.ts';
import type { Conditioning, Tensor } from '../../denoiser/denoiser.ts';
import { SDXL_MICRO_EMBED_DIM, SDXL_MICRO_WIDTH } from '../families/sdxl.ts';
import type { SDXLMicroCondition } from '../spec.ts';

/**
 * SDXL's vector conditioning y, built on the host from the Conditioning record:
 * y = [pooled ‖ E(each number of each micro-condition)], E(v) = [cos(v·f), sin(v·f)] with
 * f_i = exp(−ln(10000)·i/128), 256 wide (sgm ConcatTimestepEmbedderND, diffusers add_time_ids).
 *
 * Why on the host rather than in the graph: y is a few thousand numbers per image, computed
 * once per call; float64 sin/cos here are at least as exact as the float32 kernels the
 * reference ran (arguments reach ~1500 rad); and the graph stays the reference's
 * `UNetModel(x, t, context, y)`, one graph for base and refiner (whose y differ in layout).
 */

/** Conditioning `extra` names an SDXL UNet reads, each [B, n] (n = 2 for sizes and crops, 1 for the score). */
export const SDXL_EXTRA = {
  originalSize: 'original_size',
  cropTopLeft: 'crop_coords_top_left',
  targetSize: 'target_size',
  aestheticScore: 'aesthetic_score',
  /** The whole vector [B, admInChannels], when the caller built it already (debug modules, goldens). */
  vector: 'y',
} as const satisfies Record<string, string>;

/** diffusers' SDXL img2img default for the refiner's positive branch (its negative uses 2.5). */
export const DEFAULT_AESTHETIC_SCORE = 6;

const f = Math.fround;

/** timestep_embedding(v, dim) for one value, cos first, with the reference's float32 frequencies and arguments. */
export function fourierEmbedding(value: number, dim = SDXL_MICRO_EMBED_DIM): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(dim);
  const logPeriod = f(-Math.log(10_000));
  for (let i = 0; i < half; i++) {
    const arg = f(f(value) * f(Math.exp(f(f(logPeriod * i) / half))));
    out[i] = Math.cos(arg);
    out[half + i] = Math.sin(arg);
  }
  return out;
}

/** What each batch entry's micro-conditions default to: the latent's image size (SDXL's VAE downsamples by 8), no crop, score 6. */
function defaultsFor(m: SDXLMicroCondition, h: number, w: number): number[] {
  switch (m) {
    case 'original_size':
    case 'target_size':
      return [8 * h, 8 * w];
    case 'crop_coords_top_left':
      return [0, 0];
    case 'aesthetic_score':
      return [DEFAULT_AESTHETIC_SCORE];
  }
}

/**
 * y [B, adm] for a batch: `c.extra.y` as given, else pooled ‖ micro-condition embeddings
 * (each from `c.extra[name]` [B, n] or its default for a latent of h × w).
 */
export function vectorConditioning(c: Conditioning, micro: readonly SDXLMicroCondition[], adm: number, B: number, h: number, w: number): Tensor {
  const bad = (what: string) => new StudioError('SHAPE_MISMATCH', `SDXL UNet: ${what}`);
  const given = c.extra?.[SDXL_EXTRA.vector];
  if (given) {
    if (given.dims.length !== 2 || given.dims[0] !== B || given.dims[1] !== adm) throw bad(`y must be [${B}, ${adm}], got [${given.dims.join(', ')}]`);
    return given;
  }
  const pooled = c.pooled;
  if (!pooled) throw new StudioError('INVALID_REQUEST', 'SDXL UNet: the conditioning has no pooled text vector (nor a ready vector y)');
  const P = adm - micro.reduce((n, m) => n + SDXL_MICRO_WIDTH[m] * SDXL_MICRO_EMBED_DIM, 0);
  if (pooled.dims.length !== 2 || pooled.dims[0] !== B || pooled.dims[1] !== P) throw bad(`pooled must be [${B}, ${P}], got [${pooled.dims.join(', ')}]`);
  const y = new Float32Array(B * adm);
  for (let b = 0; b < B; b++) {
    let at = b * adm;
    y.set(pooled.data.subarray(b * P, (b + 1) * P), at);
    at += P;
    for (const m of micro) {
      const n = SDXL_MICRO_WIDTH[m];
      const t = c.extra?.[m];
      if (t && (t.dims.length !== 2 || t.dims[0] !== B || t.dims[1] !== n)) throw bad(`${m} must be [${B}, ${n}], got [${t.dims.join(', ')}]`);
      const values = t ? Array.from(t.data.subarray(b * n, (b + 1) * n)) : defaultsFor(m, h, w);
      for (const v of values) {
        y.set(fourierEmbedding(v), at);
        at += SDXL_MICRO_EMBED_DIM;
      }
    }
  }
  return { data: y, dims: [B, adm] };
}

/** Micro-conditions as Conditioning extras, one row per batch entry. */
export function microExtras(rows: ReadonlyArray<Partial<Record<SDXLMicroCondition, readonly number[]>>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const m of Object.keys(SDXL_MICRO_WIDTH) as SDXLMicroCondition[]) {
    if (!rows.some((r) => r[m])) continue;
    const n = SDXL_MICRO_WIDTH[m];
    if (rows.some((r) => !r[m] || r[m]!.length !== n)) throw new StudioError('INVALID_REQUEST', `${m}: give ${n} number(s) for every image of the batch or for none`);
    out[m] = { data: Float32Array.from(rows.flatMap((r) => [...r[m]!])), dims: [rows.length, n] };
  }
  return out;
}
