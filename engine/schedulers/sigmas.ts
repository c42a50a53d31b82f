import { StudioError } from '../api/errors.ts';
import { sigmaFromAlpha, type NoiseSchedule } from './schedule.ts';

/**
 * The variance-exploding view of a discrete schedule that k-diffusion samplers work in:
 * x_k = x_vp / sqrt(ᾱ), so x_k = x0 + σ·ε with σ_t = sqrt((1 − ᾱ_t) / ᾱ_t).
 */

export type SigmaSpacing = 'uniform' | 'karras';

export class SigmaTable {
  /** σ_t for t = 0..T−1, ascending (ᾱ falls with t). */
  readonly sigmas: Float64Array;
  readonly logSigmas: Float64Array;

  constructor(schedule: NoiseSchedule) {
    // From the float32 ᾱ the model was trained and is sampled with, widened for the arithmetic.
    const ac = schedule.alphasCumprod;
    this.sigmas = new Float64Array(ac.length);
    this.logSigmas = new Float64Array(ac.length);
    for (let t = 0; t < ac.length; t++) {
      this.sigmas[t] = sigmaFromAlpha(ac[t]);
      this.logSigmas[t] = Math.log(this.sigmas[t]);
    }
  }

  get sigmaMin(): number {
    return this.sigmas[0];
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1];
  }

  /** σ at a possibly fractional timestep, interpolating log σ between the neighbours. */
  tToSigma(t: number): number {
    const last = this.sigmas.length - 1;
    const tc = Math.min(Math.max(t, 0), last);
    const lo = Math.floor(tc);
    const hi = Math.ceil(tc);
    const w = tc - lo;
    return Math.exp((1 - w) * this.logSigmas[lo] + w * this.logSigmas[hi]);
  }

  /**
   * The (fractional) timestep a σ corresponds to, by linear interpolation of log σ between
   * the two bracketing table entries — what the model is told for off-grid σ such as
   * Karras's. Clamped to [0, T−1] outside the table.
   */
  sigmaToT(sigma: number): number {
    const ls = this.logSigmas;
    const logSigma = Math.log(sigma);
    // Largest index whose log σ is <= logSigma, kept inside [0, T−2] so `lo + 1` exists.
    let a = 0;
    let b = ls.length - 1;
    if (logSigma < ls[0]) b = 0;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (ls[mid] <= logSigma) a = mid;
      else b = mid - 1;
    }
    const lo = Math.min(a, ls.length - 2);
    const hi = lo + 1;
    const w = Math.min(Math.max((ls[lo] - logSigma) / (ls[lo] - ls[hi]), 0), 1);
    return (1 - w) * lo + w * hi;
  }
}

/** Karras et al. (2022) spacing: uniform in σ^(1/ρ) from σ_max down to σ_min (n values). */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ramp = n === 1 ? 0 : i / (n - 1);
    out.push((maxInv + ramp * (minInv - maxInv)) ** rho);
  }
  // Exact ends, so the first step is evaluated at exactly t = T − 1 (the root and power round).
  out[0] = sigmaMax;
  if (n > 1) out[n - 1] = sigmaMin;
  return out;
}

/**
 * The σ of a k-diffusion run of `steps` steps, descending, followed by a final 0.
 * 'uniform' spaces the timesteps evenly from T−1 down to 0 (k-diffusion's `get_sigmas`);
 * 'karras' spaces σ with `karrasSigmas` between the table's σ_min and σ_max.
 */
export function samplingSigmas(table: SigmaTable, steps: number, spacing: SigmaSpacing, rho = 7): number[] {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new StudioError('INVALID_REQUEST', `steps must be a positive integer, got ${steps}`);
  }
  let sigmas: number[];
  if (spacing === 'karras') {
    if (!(rho > 0)) throw new StudioError('INVALID_REQUEST', `Karras rho must be positive, got ${rho}`);
    sigmas = karrasSigmas(steps, table.sigmaMin, table.sigmaMax, rho);
  } else if (spacing === 'uniform') {
    const tMax = table.sigmas.length - 1;
    sigmas = [];
    for (let i = 0; i < steps; i++) sigmas.push(table.tToSigma(steps === 1 ? tMax : tMax - (tMax * i) / (steps - 1)));
  } else {
    throw new StudioError('INVALID_REQUEST', `unknown sigma spacing '${String(spacing)}' (uniform, karras)`);
  }
  sigmas.push(0);
  return sigmas;
}
