import { StudioError } from '../api/errors.ts';
import { ddimStep, ddimTables, epsFromV } from './ddim.ts';
import { checkModelOutput, throwIfCancelled } from './guards.ts';
import { makeSchedule, sigmaFromAlpha, stepsForStrength, type NoiseSchedule } from './schedule.ts';
import type { ModelFn, Parameterization } from './types.ts';

/**
 * Deterministic DDIM inversion: walks a clean latent up the same timesteps DDIM sampling
 * walks down, so `sample({ sampler: 'ddim', startLatent: latents[N] })` retraces it.
 *
 * Inversion step i goes from level ᾱ_prev[i] to ᾱ[i] with ε evaluated at the *target*
 * timestep τ_i on the *current* (less noisy) latent — the usual approximation
 * ε(x_τi) ≈ ε(x_τ(i−1)) of prompt-to-prompt's and ldm's `encode`; it is exact in the limit
 * of many steps. The start latent counts as being at ᾱ_0, where DDIM sampling ends.
 */

export interface InversionOptions {
  /** The clean latent (diffusion space, i.e. VAE mean × scale factor). */
  x0: Float32Array;
  model: ModelFn;
  steps: number;
  schedule?: NoiseSchedule;
  parameterization?: Parameterization;
  /**
   * Fraction of the schedule to invert (default 1, up to the noisiest timestep). Sampling
   * with the same `strength` and `startLatent: latents[latents.length − 1]` picks up there.
   */
  strength?: number;
  /** Called after each inversion step with the latent now at timestep `timestep`. */
  onStep?: (info: { step: number; count: number; timestep: number; x: Float32Array }) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface InversionResult {
  /** latents[0] = x0, latents[i] = the latent at timesteps[i − 1] (ascending noise). */
  latents: Float32Array[];
  /** The timesteps inverted through, ascending. */
  timesteps: number[];
}

export async function invertDdim(options: InversionOptions): Promise<InversionResult> {
  const schedule = options.schedule ?? makeSchedule();
  const parameterization = options.parameterization ?? 'eps';
  if (parameterization !== 'eps' && parameterization !== 'v') {
    throw new StudioError('INVALID_REQUEST', `unknown parameterization '${String(parameterization)}'`);
  }
  const tables = ddimTables(schedule, options.steps, 0);
  const count = stepsForStrength(tables.timesteps.length, options.strength ?? 1);
  let x: Float32Array = Float32Array.from(options.x0);
  const latents: Float32Array[] = [Float32Array.from(x)];
  for (let i = 0; i < count; i++) {
    throwIfCancelled(options.signal);
    const t = tables.timesteps[i];
    const out = await options.model(x, t, sigmaFromAlpha(tables.alphas[i]), { index: i, count });
    checkModelOutput(out, x, t);
    // A v model states its prediction for a latent at level t; read ε as if x were there.
    const eps = parameterization === 'v' ? epsFromV(schedule, t, x, out) : out;
    x = ddimStep(x, eps, tables.alphasPrev[i], tables.alphas[i]).x;
    latents.push(x);
    if (options.onStep) await options.onStep({ step: i, count, timestep: t, x });
  }
  return { latents, timesteps: tables.timesteps.slice(0, count) };
}
