import type { SAMPLERS } from '../api/schemas.ts';
import type { NoiseSchedule } from './schedule.ts';
import type { SigmaSpacing } from './sigmas.ts';

/** The samplers the Studio API offers. */
export type SamplerName = (typeof SAMPLERS)[number];

/** What the denoising network predicts: noise ε, or v = sqrt(ᾱ)·ε − sqrt(1 − ᾱ)·x0 (SD 2.x 768). */
export type Parameterization = 'eps' | 'v';

/**
 * The network as a sampler sees it. `x` is always the variance-preserving latent
 * x_t = sqrt(ᾱ)·x0 + sqrt(1 − ᾱ)·ε — what the UNet was trained on — whichever space the
 * sampler works in. `t` is the DDPM timestep (fractional for k-diffusion samplers: the
 * UNet only uses it through its sinusoidal embedding); `sigma` = sqrt((1 − ᾱ)/ᾱ) of the
 * same level, for callers that key anything on noise level.
 *
 * Classifier-free guidance lives in the callback: return the guided ε (or v). The callback
 * must not keep or modify `x` after it resolves; samplers reuse the buffer.
 * `step` says where the run is, so controllers never infer it from `t` or by counting calls.
 */
export type ModelFn = (x: Float32Array, t: number, sigma: number, step: SamplerStep) => Promise<Float32Array> | Float32Array;

/** Where a sampler (or an inversion) is when it evaluates the model: step `index` of `count`. */
export interface SamplerStep {
  readonly index: number;
  readonly count: number;
}

/**
 * Fresh unit-Gaussian noise for step `step` of the full schedule (same length as the
 * latent). `stepNoise(seed, shape)` from engine/random gives the house convention.
 */
export type NoiseSource = (step: number) => Float32Array;

/** Options every sampler understands. */
export interface SamplerOptions {
  steps: number;
  /** Defaults to the SD schedule. */
  schedule?: NoiseSchedule;
  parameterization?: Parameterization;
  /**
   * Stochasticity: DDIM's η (default 0, deterministic) or Euler ancestral's η (default 1).
   * Ignored by Euler and DPM++ 2M.
   */
  eta?: number;
  /** σ spacing of the k-diffusion samplers; default 'uniform' for Euler/Euler a, 'karras' for DPM++ 2M. */
  sigmaSpacing?: SigmaSpacing;
  /** Karras ρ (default 7). */
  rho?: number;
  /** Required when the sampler is stochastic (DDIM η > 0, Euler a η > 0). */
  stepNoise?: NoiseSource;
}

/**
 * One sampler configured for a run of `steps` steps. Levels are indexed 0..N, where N =
 * `timesteps().length`: step k takes x from level k to level k + 1. A sampler keeps state
 * between consecutive steps (DPM++ 2M's history), so use one instance per run.
 */
export interface Sampler {
  readonly name: SamplerName;
  /** Model timesteps of a full run, in sampling order (descending). */
  timesteps(): readonly number[];
  /**
   * σ = sqrt((1 − ᾱ)/ᾱ) of every level, N + 1 values, descending. The last is where a run
   * ends: 0 for the k-diffusion samplers, σ(ᾱ_0) ≈ 0.029 for DDIM (ldm's final ᾱ).
   */
  sigmas(): readonly number[];
  /** The start latent of a full run from unit noise (ε for DDIM, σ_max·ε for k-samplers). */
  initial(noise: Float32Array): Float32Array;
  /** Clean latent x0 brought to `level` with unit noise, in this sampler's working space. */
  noised(x0: Float32Array, noise: Float32Array, level: number): Float32Array;
  /** Runs step k: updates `x` in place (level k → k + 1) and returns the step's predicted x0. */
  step(x: Float32Array, k: number, model: ModelFn): Promise<Float32Array>;
}

/** What the per-step hook receives (previews, inpainting blends, progress). */
export interface StepInfo {
  /** Step index in the full schedule (0 = the noisiest). */
  step: number;
  /** Steps this run has completed, 1-based, and will complete in all (img2img runs fewer). */
  done: number;
  count: number;
  /** The model timestep and σ this step was evaluated at. */
  timestep: number;
  sigma: number;
  /** σ of the level `x` is now at. */
  sigmaNext: number;
  /**
   * The latent after the step, in the sampler's working space. The hook may overwrite it in
   * place (inpainting blend, local blend); sampling continues from its contents.
   */
  x: Float32Array;
  /** The step's prediction of the clean latent, for previews. */
  predX0: Float32Array;
  /** x0 noised with unit `noise` to the level `x` is now at, in the same space as `x`. */
  noised(x0: Float32Array, noise: Float32Array): Float32Array;
}

export type StepHook = (info: StepInfo) => void | Promise<void>;
