import { StudioError } from '../api/errors.ts';

/**
 * Sinusoidal timestep embedding fed to the UNet's `time_embed` MLP.
 *
 * Arithmetic follows ldm/diffusers in float32 (frequencies, arguments) so the result
 * differs from theirs only by the sin/cos implementation: arguments reach ~1000 rad, where
 * float32 sin/cos of different math libraries disagree by ~1.5e-5.
 */

export interface TimestepEmbeddingOptions {
  /** [cos, sin] when true (SD, ldm's order; diffusers' flip_sin_to_cos=True), else [sin, cos]. */
  flipSinToCos?: boolean;
  /** diffusers' `downscale_freq_shift`: exponents are divided by (half − shift). SD uses 0. */
  freqShift?: number;
  maxPeriod?: number;
}

const f = Math.fround;

/** Returns [timesteps.length, dim] row-major; an odd `dim` gets a zero last column, as in ldm. */
export function timestepEmbedding(
  timesteps: ArrayLike<number>,
  dim: number,
  options: TimestepEmbeddingOptions = {},
): Float32Array {
  const { flipSinToCos = true, freqShift = 0, maxPeriod = 10_000 } = options;
  if (!Number.isInteger(dim) || dim < 2) {
    throw new StudioError('INVALID_REQUEST', `timestep embedding dim must be an integer >= 2, got ${dim}`);
  }
  const half = Math.floor(dim / 2);
  const denom = half - freqShift;
  if (!(denom > 0)) throw new StudioError('INVALID_REQUEST', `freqShift ${freqShift} leaves no frequencies`);
  const logPeriod = f(-Math.log(maxPeriod));
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = f(Math.exp(f(f(logPeriod * i) / denom)));

  const n = timesteps.length;
  const out = new Float32Array(n * dim);
  const cosAt = flipSinToCos ? 0 : half;
  const sinAt = flipSinToCos ? half : 0;
  for (let b = 0; b < n; b++) {
    const t = f(timesteps[b]);
    const row = b * dim;
    for (let i = 0; i < half; i++) {
      const arg = f(t * freqs[i]);
      out[row + cosAt + i] = Math.cos(arg);
      out[row + sinAt + i] = Math.sin(arg);
    }
  }
  return out;
}
