import { StudioError } from '../api/errors.ts';

/** Mean squared error over all values. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new StudioError('SHAPE_MISMATCH', `Cannot compare ${a.length} values with ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** PSNR = 10·log10(peak² / MSE) in dB; peak 1 for [0, 1] images, 2 for [-1, 1], 255 for 8-bit. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak = 1): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10((peak * peak) / m);
}
