import { StudioError } from '../api/errors.ts';
import { checkModelOutput } from './guards.ts';
import { ddimTimesteps, makeSchedule, sigmaFromAlpha, type NoiseSchedule } from './schedule.ts';
import type { ModelFn, NoiseSource, Parameterization, Sampler, SamplerOptions } from './types.ts';

/**
 * DDIM (Song et al. 2020) exactly as ldm's DDIMSampler runs it: ldm's uniform timesteps
 * (+1 offset), ᾱ read from the float32 buffer, the last step going to ᾱ_0 rather than 1,
 * and the update computed in float32 operation by operation, so a float32 ε reproduces
 * ldm's latents bit for bit.
 */

const f = Math.fround;

/** ldm's per-step tables, ascending like ldm's (sampling walks them from the end). */
export interface DdimTables {
  timesteps: number[];
  /** ᾱ at each timestep (float32 values). */
  alphas: number[];
  /** ᾱ of the level each step goes to: ᾱ_0 for the first, else the previous timestep's. */
  alphasPrev: number[];
  /** η-scaled DDIM σ of each step, float32. */
  sigmas: number[];
}

export function ddimTables(schedule: NoiseSchedule, steps: number, eta = 0): DdimTables {
  if (!(eta >= 0)) throw new StudioError('INVALID_REQUEST', `DDIM eta must be >= 0, got ${eta}`);
  const ac = schedule.alphasCumprod;
  const timesteps = ddimTimesteps(steps, ac.length);
  const alphas = timesteps.map((t) => ac[t]);
  const alphasPrev = timesteps.map((_, i) => (i === 0 ? ac[0] : alphas[i - 1]));
  // ldm evaluates this in float64 from the float32 ᾱ and stores the result as float32.
  const sigmas = alphas.map((a, i) => {
    const ap = alphasPrev[i];
    return f(eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap)));
  });
  return { timesteps, alphas, alphasPrev, sigmas };
}

export interface DdimStepOptions {
  /** DDIM σ_t of this step (η-scaled); needs `noise` when > 0. */
  sigma?: number;
  noise?: Float32Array;
  /** Where to write the next latent (may be `x` itself) and the predicted x0. */
  out?: Float32Array;
  predX0?: Float32Array;
}

/**
 * One DDIM move of x from level ᾱ = `alpha` to level `alphaNext` along ε:
 * x0 = (x − sqrt(1 − ᾱ)·ε) / sqrt(ᾱ); x' = sqrt(ᾱ')·x0 + sqrt(1 − ᾱ' − σ²)·ε + σ·z.
 * With alphaNext > alpha it is the deterministic inversion step. Every operation is
 * rounded to float32 in ldm's order.
 */
export function ddimStep(
  x: Float32Array,
  eps: Float32Array,
  alpha: number,
  alphaNext: number,
  options: DdimStepOptions = {},
): { x: Float32Array; predX0: Float32Array } {
  const { sigma = 0, noise } = options;
  const out = options.out ?? new Float32Array(x.length);
  const predX0 = options.predX0 ?? new Float32Array(x.length);
  if (eps.length !== x.length || out.length !== x.length || predX0.length !== x.length) {
    throw new StudioError('SHAPE_MISMATCH', `DDIM step: latent has ${x.length} values, ε ${eps.length}`);
  }
  if (sigma > 0 && (!noise || noise.length !== x.length)) {
    throw new StudioError('INVALID_REQUEST', 'DDIM with eta > 0 needs step noise of the latent size');
  }
  const a = f(alpha);
  const sqrtOneMinusA = f(Math.sqrt(f(1 - a)));
  const sqrtA = f(Math.sqrt(a));
  for (let i = 0; i < x.length; i++) predX0[i] = f(f(x[i] - f(sqrtOneMinusA * eps[i])) / sqrtA);
  towardLevel(predX0, eps, alphaNext, sigma, noise, out);
  return { x: out, predX0 };
}

/** x' = sqrt(ᾱ')·x0 + sqrt(1 − ᾱ' − σ²)·ε + σ·z, rounded to float32 in ldm's order. */
function towardLevel(
  predX0: Float32Array,
  eps: Float32Array,
  alphaNext: number,
  sigma: number,
  noise: Float32Array | undefined,
  out: Float32Array,
): void {
  const an = f(alphaNext);
  const s = f(sigma);
  const sqrtAn = f(Math.sqrt(an));
  const dirCoef = f(Math.sqrt(f(f(1 - an) - f(s * s))));
  for (let i = 0; i < out.length; i++) {
    let next = f(f(sqrtAn * predX0[i]) + f(dirCoef * eps[i]));
    if (s > 0) next = f(next + f(s * noise![i]));
    out[i] = next;
  }
}

/**
 * ε from a v-prediction at timestep t, with ldm's float32 sqrt(ᾱ_t) and sqrt(1 − ᾱ_t)
 * buffers (computed in float64, then rounded): ε = sqrt(ᾱ)·v + sqrt(1 − ᾱ)·x.
 */
export function epsFromV(schedule: NoiseSchedule, t: number, x: Float32Array, v: Float32Array): Float32Array {
  const a = schedule.alphasCumprod64[t];
  const sa = f(Math.sqrt(a));
  const s1 = f(Math.sqrt(1 - a));
  const eps = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) eps[i] = f(f(sa * v[i]) + f(s1 * x[i]));
  return eps;
}

/** x0 from a v-prediction at timestep t: sqrt(ᾱ)·x − sqrt(1 − ᾱ)·v (ldm's buffers). */
function x0FromV(schedule: NoiseSchedule, t: number, x: Float32Array, v: Float32Array, out: Float32Array): void {
  const a = schedule.alphasCumprod64[t];
  const sa = f(Math.sqrt(a));
  const s1 = f(Math.sqrt(1 - a));
  for (let i = 0; i < x.length; i++) out[i] = f(f(sa * x[i]) - f(s1 * v[i]));
}

export class DdimSampler implements Sampler {
  readonly name = 'ddim' as const;
  readonly tables: DdimTables;
  private readonly schedule: NoiseSchedule;
  private readonly parameterization: Parameterization;
  private readonly stepNoise?: NoiseSource;
  private readonly order: number[];

  constructor(options: SamplerOptions) {
    this.schedule = options.schedule ?? makeSchedule();
    this.parameterization = options.parameterization ?? 'eps';
    if (this.parameterization !== 'eps' && this.parameterization !== 'v') {
      throw new StudioError('INVALID_REQUEST', `unknown parameterization '${String(this.parameterization)}'`);
    }
    this.tables = ddimTables(this.schedule, options.steps, options.eta ?? 0);
    this.stepNoise = options.stepNoise;
    if (this.tables.sigmas.some((s) => s > 0) && !this.stepNoise) {
      throw new StudioError('INVALID_REQUEST', 'DDIM with eta > 0 needs a stepNoise source');
    }
    this.order = [...this.tables.timesteps].reverse();
  }

  timesteps(): readonly number[] {
    return this.order;
  }

  /** ᾱ of level k (k = N is where the run ends, ᾱ_0). */
  levelAlpha(level: number): number {
    const n = this.order.length;
    if (!Number.isInteger(level) || level < 0 || level > n) {
      throw new StudioError('INVALID_REQUEST', `level ${level} is outside 0..${n}`);
    }
    return level === n ? this.tables.alphasPrev[0] : this.tables.alphas[n - 1 - level];
  }

  sigmas(): readonly number[] {
    return Array.from({ length: this.order.length + 1 }, (_, k) => sigmaFromAlpha(this.levelAlpha(k)));
  }

  initial(noise: Float32Array): Float32Array {
    return Float32Array.from(noise);
  }

  /** ldm's stochastic_encode: sqrt(ᾱ)·x0 + sqrt(1 − ᾱ)·ε in float32. */
  noised(x0: Float32Array, noise: Float32Array, level: number): Float32Array {
    if (noise.length !== x0.length) throw new StudioError('SHAPE_MISMATCH', 'noise and latent differ in size');
    const a = f(this.levelAlpha(level));
    const sa = f(Math.sqrt(a));
    const s1 = f(Math.sqrt(f(1 - a)));
    const out = new Float32Array(x0.length);
    for (let i = 0; i < x0.length; i++) out[i] = f(f(sa * x0[i]) + f(s1 * noise[i]));
    return out;
  }

  async step(x: Float32Array, k: number, model: ModelFn): Promise<Float32Array> {
    const n = this.order.length;
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new StudioError('INVALID_REQUEST', `step ${k} is outside 0..${n - 1}`);
    const idx = n - 1 - k;
    const t = this.tables.timesteps[idx];
    const alpha = this.tables.alphas[idx];
    const out = await model(x, t, sigmaFromAlpha(alpha), { index: k, count: n });
    checkModelOutput(out, x, t);
    const sigma = this.tables.sigmas[idx];
    const noise = sigma > 0 ? this.stepNoise!(k) : undefined;
    if (noise && noise.length !== x.length) {
      throw new StudioError('SHAPE_MISMATCH', `step noise has ${noise.length} values, the latent ${x.length}`);
    }
    if (this.parameterization === 'eps') {
      return ddimStep(x, out, alpha, this.tables.alphasPrev[idx], { sigma, noise, out: x }).predX0;
    }
    // v: ε and x0 both come from ldm's buffers at t, then the usual update of x.
    const eps = epsFromV(this.schedule, t, x, out);
    const predX0 = new Float32Array(x.length);
    x0FromV(this.schedule, t, x, out, predX0);
    towardLevel(predX0, eps, this.tables.alphasPrev[idx], sigma, noise, x);
    return predX0;
  }
}
