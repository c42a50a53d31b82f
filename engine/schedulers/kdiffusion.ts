import { StudioError } from '../api/errors.ts';
import { checkModelOutput } from './guards.ts';
import { makeSchedule } from './schedule.ts';
import { SigmaTable, samplingSigmas } from './sigmas.ts';
import type { ModelFn, NoiseSource, Parameterization, Sampler, SamplerOptions } from './types.ts';

/**
 * Euler, Euler ancestral and DPM++ 2M in k-diffusion's formulation (Karras et al. 2022;
 * Lu et al. 2022 for DPM-Solver++). They work on x_k = x0 + σ·ε; the discrete VP model is
 * wrapped as k-diffusion's CompVis denoisers do: input scaled by c_in = 1/sqrt(σ² + 1)
 * (which is exactly the VP latent), timestep = the table's t for σ (log-σ interpolation),
 * and denoised = x − σ·ε for ε models, c_skip·x + c_out·v for v models (σ_data = 1).
 * Arithmetic is float64 per element, stored as float32.
 */

type KName = 'euler' | 'euler-a' | 'dpmpp-2m';

export class KDiffusionSampler implements Sampler {
  readonly name: KName;
  readonly table: SigmaTable;
  private readonly sigmaList: number[];
  private readonly ts: number[];
  private readonly parameterization: Parameterization;
  private readonly eta: number;
  private readonly stepNoise?: NoiseSource;
  /** DPM++ 2M's previous denoised estimate and the step it belongs to. */
  private history: { step: number; denoised: Float32Array } | undefined;

  constructor(name: KName, options: SamplerOptions) {
    this.name = name;
    this.table = new SigmaTable(options.schedule ?? makeSchedule());
    const spacing = options.sigmaSpacing ?? (name === 'dpmpp-2m' ? 'karras' : 'uniform');
    this.sigmaList = samplingSigmas(this.table, options.steps, spacing, options.rho ?? 7);
    this.ts = this.sigmaList.slice(0, -1).map((s) => this.table.sigmaToT(s));
    this.parameterization = options.parameterization ?? 'eps';
    if (this.parameterization !== 'eps' && this.parameterization !== 'v') {
      throw new StudioError('INVALID_REQUEST', `unknown parameterization '${String(this.parameterization)}'`);
    }
    this.eta = name === 'euler-a' ? (options.eta ?? 1) : 0;
    if (!(this.eta >= 0)) throw new StudioError('INVALID_REQUEST', `eta must be >= 0, got ${this.eta}`);
    this.stepNoise = options.stepNoise;
    if (this.eta > 0 && !this.stepNoise) {
      throw new StudioError('INVALID_REQUEST', 'Euler ancestral needs a stepNoise source');
    }
  }

  timesteps(): readonly number[] {
    return this.ts;
  }

  sigmas(): readonly number[] {
    return this.sigmaList;
  }

  initial(noise: Float32Array): Float32Array {
    const s = this.sigmaList[0];
    return noise.map((v) => v * s);
  }

  noised(x0: Float32Array, noise: Float32Array, level: number): Float32Array {
    if (!Number.isInteger(level) || level < 0 || level >= this.sigmaList.length) {
      throw new StudioError('INVALID_REQUEST', `level ${level} is outside 0..${this.sigmaList.length - 1}`);
    }
    if (noise.length !== x0.length) throw new StudioError('SHAPE_MISMATCH', 'noise and latent differ in size');
    const s = this.sigmaList[level];
    const out = new Float32Array(x0.length);
    for (let i = 0; i < x0.length; i++) out[i] = x0[i] + s * noise[i];
    return out;
  }

  /** The denoiser D(x; σ) built from the VP model. */
  private async denoise(x: Float32Array, k: number, model: ModelFn): Promise<Float32Array> {
    const sigma = this.sigmaList[k];
    const t = this.ts[k];
    const s2 = sigma * sigma + 1;
    const cIn = 1 / Math.sqrt(s2);
    const input = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) input[i] = x[i] * cIn;
    const out = await model(input, t, sigma, { index: k, count: this.ts.length });
    checkModelOutput(out, x, t);
    const denoised = new Float32Array(x.length);
    if (this.parameterization === 'eps') {
      for (let i = 0; i < x.length; i++) denoised[i] = x[i] - sigma * out[i];
    } else {
      const cSkip = 1 / s2;
      const cOut = -sigma * cIn;
      for (let i = 0; i < x.length; i++) denoised[i] = x[i] * cSkip + out[i] * cOut;
    }
    return denoised;
  }

  async step(x: Float32Array, k: number, model: ModelFn): Promise<Float32Array> {
    const n = this.ts.length;
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new StudioError('INVALID_REQUEST', `step ${k} is outside 0..${n - 1}`);
    const denoised = await this.denoise(x, k, model);
    const sigma = this.sigmaList[k];
    const next = this.sigmaList[k + 1];
    if (this.name === 'euler') this.euler(x, denoised, sigma, next);
    else if (this.name === 'euler-a') this.eulerAncestral(x, denoised, sigma, next, k);
    else this.dpmpp2m(x, denoised, k);
    return denoised;
  }

  private euler(x: Float32Array, denoised: Float32Array, sigma: number, next: number): void {
    const dt = next - sigma;
    for (let i = 0; i < x.length; i++) x[i] = x[i] + ((x[i] - denoised[i]) / sigma) * dt;
  }

  /**
   * Split the move to `next` into a deterministic part down to σ_down and fresh noise of
   * std σ_up, with σ_down² + σ_up² = next², so the marginal noise level stays right.
   */
  private eulerAncestral(x: Float32Array, denoised: Float32Array, sigma: number, next: number, k: number): void {
    const up = Math.min(next, this.eta * Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma)));
    const down = Math.sqrt(next * next - up * up);
    const dt = down - sigma;
    let noise: Float32Array | undefined;
    if (next > 0 && up > 0) {
      noise = this.stepNoise!(k);
      if (noise.length !== x.length) {
        throw new StudioError('SHAPE_MISMATCH', `step noise has ${noise.length} values, the latent ${x.length}`);
      }
    }
    for (let i = 0; i < x.length; i++) {
      let v = x[i] + ((x[i] - denoised[i]) / sigma) * dt;
      if (noise) v += noise[i] * up;
      x[i] = v;
    }
  }

  /**
   * DPM-Solver++(2M): exponential integrator in λ = −log σ; from the second step on, the
   * denoised estimate is extrapolated linearly in λ with the previous step's. The
   * history is only used when the previous step run was k − 1 of this schedule.
   */
  private dpmpp2m(x: Float32Array, denoised: Float32Array, k: number): void {
    const s = this.sigmaList;
    const sigma = s[k];
    const next = s[k + 1];
    const prev = this.history?.step === k - 1 ? this.history.denoised : undefined;
    const ratio = next / sigma;
    // 1 − e^(−h) = 1 − σ_next/σ; at σ_next = 0 the step lands on the estimate itself.
    const coef = -Math.expm1(Math.log(next) - Math.log(sigma));
    if (!prev || next === 0) {
      for (let i = 0; i < x.length; i++) x[i] = ratio * x[i] + coef * denoised[i];
    } else {
      const h = Math.log(sigma) - Math.log(next);
      const hLast = Math.log(s[k - 1]) - Math.log(sigma);
      const r = hLast / h;
      const a = 1 + 1 / (2 * r);
      const b = 1 / (2 * r);
      for (let i = 0; i < x.length; i++) x[i] = ratio * x[i] + coef * (a * denoised[i] - b * prev[i]);
    }
    this.history = { step: k, denoised };
  }
}
