import { StudioError } from '../api/errors.ts';

/**
 * The DDPM noise schedule of latent-diffusion checkpoints and ldm's DDIM timestep
 * discretisation, reproduced exactly as ldm computes them.
 *
 * Names follow diffusers: 'scaled_linear' is linear in sqrt(beta) — what ldm's yaml calls
 * `linear` and every SD 1.x/2.x checkpoint uses — and 'linear' is linear in beta (ldm's
 * `sqrt_linear`). `scheduleFromLdmConfig` translates ldm's names.
 */

export type BetaSchedule = 'scaled_linear' | 'linear';

export interface ScheduleConfig {
  linearStart: number;
  linearEnd: number;
  /** Number of training (DDPM) timesteps, T. */
  timesteps: number;
  betaSchedule: BetaSchedule;
}

export const SD_SCHEDULE: Readonly<ScheduleConfig> = Object.freeze({
  linearStart: 0.00085,
  linearEnd: 0.012,
  timesteps: 1000,
  betaSchedule: 'scaled_linear',
});

export interface NoiseSchedule {
  readonly config: Readonly<ScheduleConfig>;
  readonly betas: Float64Array;
  /** ᾱ_t in float64, the reference computation. */
  readonly alphasCumprod64: Float64Array;
  /** ᾱ_t rounded to float32: the buffer ldm registers and every sampler reads. */
  readonly alphasCumprod: Float32Array;
}

function invalid(message: string, details?: Record<string, unknown>): StudioError {
  return new StudioError('INVALID_REQUEST', message, details);
}

/**
 * torch.linspace's float64 formula: the first half counts up from `start`, the second
 * half down from `end`, so both ends are exact. (torch's vectorised kernel fuses the
 * multiply-add and can differ in the last bit of float64; the float32 ᾱ are identical.)
 */
function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? start + step * i : end - step * (n - i - 1);
  return out;
}

export function makeSchedule(overrides: Partial<ScheduleConfig> = {}): NoiseSchedule {
  const config = { ...SD_SCHEDULE, ...overrides };
  const { linearStart, linearEnd, timesteps, betaSchedule } = config;
  if (!Number.isInteger(timesteps) || timesteps < 2 || timesteps > 100_000) {
    throw invalid(`schedule timesteps must be an integer in [2, 100000], got ${timesteps}`);
  }
  if (!(linearStart > 0 && linearEnd >= linearStart && linearEnd < 1)) {
    throw invalid(`schedule needs 0 < linear_start <= linear_end < 1, got ${linearStart}, ${linearEnd}`);
  }
  let betas: Float64Array;
  if (betaSchedule === 'scaled_linear') {
    betas = linspace(Math.sqrt(linearStart), Math.sqrt(linearEnd), timesteps);
    for (let i = 0; i < timesteps; i++) betas[i] = betas[i] * betas[i];
  } else if (betaSchedule === 'linear') {
    betas = linspace(linearStart, linearEnd, timesteps);
  } else {
    throw invalid(`unknown beta schedule '${String(betaSchedule)}' (expected 'scaled_linear' or 'linear')`);
  }
  const alphasCumprod64 = new Float64Array(timesteps);
  let prod = 1;
  for (let i = 0; i < timesteps; i++) {
    prod *= 1 - betas[i];
    alphasCumprod64[i] = prod;
  }
  const alphasCumprod = Float32Array.from(alphasCumprod64);
  return { config: Object.freeze(config), betas, alphasCumprod64, alphasCumprod };
}

/** The schedule fields of an ldm yaml (`model.params`), with ldm's schedule names. */
export interface LdmScheduleParams {
  linear_start?: number;
  linear_end?: number;
  timesteps?: number;
  /** ldm's `make_beta_schedule` name; ldm's default is 'linear'. */
  beta_schedule?: string;
}

export function scheduleFromLdmConfig(params: LdmScheduleParams): ScheduleConfig {
  const name = params.beta_schedule ?? 'linear';
  const map: Record<string, BetaSchedule> = { linear: 'scaled_linear', sqrt_linear: 'linear' };
  const betaSchedule = map[name];
  if (!betaSchedule) throw invalid(`ldm beta schedule '${name}' is not supported (linear, sqrt_linear)`);
  return {
    linearStart: params.linear_start ?? SD_SCHEDULE.linearStart,
    linearEnd: params.linear_end ?? SD_SCHEDULE.linearEnd,
    timesteps: params.timesteps ?? SD_SCHEDULE.timesteps,
    betaSchedule,
  };
}

/**
 * ldm's `make_ddim_timesteps('uniform')`, ascending: c = T // S, timesteps i·c + 1.
 *
 * Exactly S timesteps, the first S of ldm's list. Where S divides T that is ldm's list
 * itself (the goldens, 10 to 50 steps). Where it does not, ldm's range(0, T, c) + 1 has
 * more entries than asked (S = 7 gives 8, S = 300 gives 333 once timestep T is dropped),
 * so a run would do — and report — steps nobody asked for; taking the first S is diffusers'
 * "leading" spacing with SD's steps_offset 1. S > T/2 would leave c = 1 and stop short of
 * the noisy end, so it is refused.
 */
export function ddimTimesteps(steps: number, trainTimesteps: number = SD_SCHEDULE.timesteps): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw invalid(`DDIM steps must be a positive integer, got ${steps}`);
  const c = Math.floor(trainTimesteps / steps);
  if (c < 2) {
    throw invalid(`DDIM cannot take ${steps} steps on a ${trainTimesteps}-step schedule; use at most ${Math.floor(trainTimesteps / 2)}`, { steps, trainTimesteps });
  }
  return Array.from({ length: steps }, (_, i) => i * c + 1);
}

/** The k-diffusion noise level of a VP level ᾱ: x_k = x_vp / sqrt(ᾱ) has noise std sqrt((1 - ᾱ) / ᾱ). */
export function sigmaFromAlpha(alphaCumprod: number): number {
  return Math.sqrt((1 - alphaCumprod) / alphaCumprod);
}

/** Inverse of `sigmaFromAlpha`. */
export function alphaFromSigma(sigma: number): number {
  return 1 / (1 + sigma * sigma);
}

/**
 * How many of `total` steps an img2img/inpaint run of this strength executes: floor as
 * ldm and diffusers do, with a nudge so that 0.3 · 10 counts as 3, not 2.
 */
export function stepsForStrength(total: number, strength: number): number {
  if (!(strength >= 0 && strength <= 1)) throw invalid(`strength must be in [0, 1], got ${strength}`);
  return Math.min(total, Math.floor(total * strength + 1e-9));
}
