import sharp from 'sharp';
import type { ImageInput } from '../api/schemas.ts';
import { loadImageInput } from '../image/loadImage.ts';
import type { HostTensor } from '../graph/session.ts';
import { readRgb, rgbToTensor } from '../image/tensor.ts';
import { latentMean, toDiffusionLatent } from '../models/vae/latent.ts';
import type { ResultStore } from '../studio/results/store.ts';
import type { ModelBundle } from './modelBundle.ts';
import { type ImageSizing, type PlannedSize, planInputSize } from './size.ts';

export interface PreparedImage {
  /** 8-bit RGB at the working size, kept to paste original pixels back. */
  rgb: { data: Uint8Array; width: number; height: number };
  /** [1, 3, H, W] in [-1, 1]. */
  tensor: HostTensor;
  size: PlannedSize;
}

/**
 * Loads an input image at the working size (`planInputSize`: the requested size, else the
 * image's own within the model's size class). Resizing uses Lanczos and fills the frame exactly.
 */
export async function prepareImage(input: ImageInput, results: ResultStore, sizing: ImageSizing, width?: number, height?: number): Promise<PreparedImage> {
  const loaded = await loadImageInput(input, results);
  const size = planInputSize(loaded.width, loaded.height, sizing, width, height);
  const resized = sharp(loaded.bytes).resize(size.width, size.height, { kernel: 'lanczos3', fit: 'fill' });
  const rgb = await readRgb(resized);
  return { rgb, tensor: rgbToTensor(rgb, 'minus1to1'), size };
}

/** The deterministic diffusion-space latent of an image (VAE mean × scale factor). */
export async function encodeLatent(bundle: ModelBundle, image: HostTensor): Promise<Float32Array> {
  const moments = await bundle.vaeEncoder.encode(image);
  return toDiffusionLatent(latentMean(moments), bundle.spec.scaleFactor).data as Float32Array;
}
