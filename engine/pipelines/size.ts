import { StudioError } from '../api/errors.ts';
import { MAX_IMAGE_SIDE } from '../api/schemas.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
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
export function planSize(width: number, height: number, factor: number): PlannedSize {
  if (width < 64 || height < 64) throw new StudioError('INVALID_REQUEST', `Images must be at least 64×64 pixels, got ${width}×${height}`);
  const w = Math.floor(width / SIDE_STEP) * SIDE_STEP;
  const h = Math.floor(height / SIDE_STEP) * SIDE_STEP;
  return { width: w, height: h, latentWidth: w / factor, latentHeight: h / factor, factor };
}

/** A generation's size for a model: the requested sides, else its training size, at its VAE's factor. */
export function planModelSize(spec: Pick<StableDiffusionSpec, 'nativeSize' | 'vae'>, width?: number, height?: number): PlannedSize {
  return planSize(width ?? spec.nativeSize, height ?? spec.nativeSize, latentFactor(spec.vae));
}

/** What sizing an input image needs to know of a model. */
export interface ImageSizing {
  /** Pixels per latent cell. */
  factor: number;
  /** The model's training side (512 for SD 1.x). */
  nativeSize: number;
}

export function imageSizing(spec: Pick<StableDiffusionSpec, 'nativeSize' | 'vae'>): ImageSizing {
  return { factor: latentFactor(spec.vae), nativeSize: spec.nativeSize };
}

/**
 * A photo used as it is may be far larger than the model was trained for (a 4000×3000 phone
 * picture on a 512 model ran for minutes and draws duplicated subjects): by default the working
 * size keeps the photo's shape with at most this many times the model's native side, squared, in pixels.
 */
export const DEFAULT_AREA_SIDES = 1.5;

/**
 * The working size of an input image: the requested sides; one side requested, the other from the
 * image's aspect ratio; none, the image's own size scaled down to the model's size class.
 * Then rounded down to multiples of 8 as `planSize` does.
 */
export function planInputSize(imageWidth: number, imageHeight: number, sizing: ImageSizing, width?: number, height?: number): PlannedSize {
  const aspect = imageWidth / imageHeight;
  const clampSide = (v: number): number => Math.min(MAX_IMAGE_SIDE, Math.max(64, Math.round(v)));
  if (width !== undefined && height !== undefined) return planSize(width, height, sizing.factor);
  if (width !== undefined) return planSize(width, clampSide(width / aspect), sizing.factor);
  if (height !== undefined) return planSize(clampSide(height * aspect), height, sizing.factor);
  const cap = (sizing.nativeSize * DEFAULT_AREA_SIDES) ** 2;
  const scale = Math.min(1, Math.sqrt(cap / (imageWidth * imageHeight)));
  return planSize(clampSide(imageWidth * scale), clampSide(imageHeight * scale), sizing.factor);
}
