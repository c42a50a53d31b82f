import sharp, { type Sharp } from 'sharp';
import type { ImageSource } from './tensor.ts';

function open(src: ImageSource): Sharp {
  return typeof src === 'string' || Buffer.isBuffer(src) ? sharp(src) : src.clone();
}

/** The largest centred square (offset rounded down), as the reference preprocessing crops. */
export async function centerSquareCrop(src: ImageSource): Promise<Sharp> {
  const img = open(src);
  const { width = 0, height = 0 } = await img.metadata();
  const side = Math.min(width, height);
  const left = Math.floor((width - side) / 2), top = Math.floor((height - side) / 2);
  // Materialise the crop so a following resize cannot be reordered before it by sharp.
  const buf = await img.extract({ left, top, width: side, height: side }).png({ compressionLevel: 0 }).toBuffer();
  return sharp(buf);
}

/** Lanczos (a = 3) resize to exactly width×height, like PIL's `resize(..., LANCZOS)` (aspect not kept). */
export async function resizeLanczos(src: ImageSource, width: number, height: number): Promise<Sharp> {
  const buf = await open(src).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).png({ compressionLevel: 0 }).toBuffer();
  return sharp(buf);
}

/** Size rounded down to multiples of `multiple` (8 for the VAE, 64 for some UNets), at least one multiple. */
export function snapSize(width: number, height: number, multiple = 8): { width: number; height: number } {
  return { width: Math.max(multiple, Math.floor(width / multiple) * multiple), height: Math.max(multiple, Math.floor(height / multiple) * multiple) };
}
