import { StudioError } from '../api/errors.ts';
import type { ImageModelSpec } from '../models/spec.ts';
import { latentFactor } from '../models/vae/latent.ts';

/** Image sides are multiples of 8 pixels, whatever the VAE's factor (a multiple of every f ≤ 8). */
const SIDE_STEP = 8;

export interface PlannedSize {
  width: number;
  height: number;
  latentWidth: number;
  latentHeight: number;
  /** Pixels per latent cell (the VAE's factor: 8 for SD, 4 for an f4 autoencoder). */
  factor: number;
}

/**
 * Sizes that are not multiples of 8 are rounded DOWN to the nearest multiple of 8 (as
 * AUTOMATIC1111 does), so a 500×300 request gives a 496×296 image; never smaller than 64.
 * `factor` is the VAE's pixels per latent cell.
 */
export function planSize(width: number, height: number, factor: number, sideStep = SIDE_STEP): PlannedSize {
  if (width < 64 || height < 64) throw new StudioError('INVALID_REQUEST', `Images must be at least 64×64 pixels, got ${width}×${height}`);
  const w = Math.floor(width / sideStep) * sideStep;
  const h = Math.floor(height / sideStep) * sideStep;
  return { width: w, height: h, latentWidth: w / factor, latentHeight: h / factor, factor };
}

/** A generation's size for a model: the requested sides, else its training size, at its VAE's factor. */
export function planModelSize(spec: ImageModelSpec | Pick<ImageModelSpec, 'nativeSize' | 'vae'>, width?: number, height?: number): PlannedSize {
  return planSize(width ?? spec.nativeSize, height ?? spec.nativeSize, latentFactor(spec.vae), sideStepOf(spec));
}

/** Pixels a side is rounded down to: 8, or a whole patch of latent cells on a DiT (PixArt: 2 cells = 16 px). */
export function sideStepOf(spec: ImageModelSpec | Pick<ImageModelSpec, 'nativeSize' | 'vae'>): number {
  return 'family' in spec && spec.family === 'pixart' ? spec.transformer.config.patchSize * latentFactor(spec.vae) : SIDE_STEP;
}
