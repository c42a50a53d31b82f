import { StudioError } from '../api/errors.ts';

/** The VAE maps 8×8 pixels to one latent. */
export const LATENT_FACTOR = 8;

/**
 * Sizes that are not multiples of 8 are rounded DOWN to the nearest multiple of 8 (as
 * AUTOMATIC1111 does), so a 500×300 request gives a 496×296 image; never smaller than 64.
 */
export function planSize(width: number, height: number): { width: number; height: number; latentWidth: number; latentHeight: number } {
  if (width < 64 || height < 64) throw new StudioError('INVALID_REQUEST', `Images must be at least 64×64 pixels, got ${width}×${height}`);
  const w = Math.floor(width / LATENT_FACTOR) * LATENT_FACTOR;
  const h = Math.floor(height / LATENT_FACTOR) * LATENT_FACTOR;
  return { width: w, height: h, latentWidth: w / LATENT_FACTOR, latentHeight: h / LATENT_FACTOR };
}
