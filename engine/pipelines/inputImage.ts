import sharp from 'sharp';
import type { ImageInput } from '../api/schemas.ts';
import { loadImageInput } from '../export/loadImage.ts';
import type { HostTensor } from '../graph/session.ts';
import { readRgb, rgbToTensor } from '../image/tensor.ts';
import { latentMean, toDiffusionLatent } from '../models/vae/latent.ts';
import type { ResultStore } from '../results/store.ts';
import type { ModelBundle } from './modelBundle.ts';
import { type PlannedSize, planSize } from './size.ts';

export interface PreparedImage {
  /** 8-bit RGB at the working size, kept to paste original pixels back. */
  rgb: { data: Uint8Array; width: number; height: number };
  /** [1, 3, H, W] in [-1, 1]. */
  tensor: HostTensor;
  size: PlannedSize;
}

/**
 * Loads an input image at the working size: the requested size, else the image's own,
 * rounded down to a multiple of 8. Resizing uses Lanczos and fills the frame exactly.
 * `factor` is the model's pixels per latent cell.
 */
export async function prepareImage(input: ImageInput, results: ResultStore, factor: number, width?: number, height?: number, sideStep?: number): Promise<PreparedImage> {
  const loaded = await loadImageInput(input, results);
  const size = planSize(width ?? loaded.width, height ?? loaded.height, factor, sideStep);
  const resized = sharp(loaded.bytes).resize(size.width, size.height, { kernel: 'lanczos3', fit: 'fill' });
  const rgb = await readRgb(resized);
  return { rgb, tensor: rgbToTensor(rgb, 'minus1to1'), size };
}

/** The deterministic diffusion-space latent of an image (VAE mean × scale factor). */
export async function encodeLatent(bundle: ModelBundle, image: HostTensor): Promise<Float32Array> {
  const moments = await bundle.vaeEncoder.encode(image);
  return toDiffusionLatent(latentMean(moments), bundle.spec.scaleFactor).data as Float32Array;
}
