import { StudioError } from '../../api/errors.ts';
import type { RgbImage } from './analyse.ts';

/** Intersection over union of two binary masks; two empty masks agree fully. */
export function iou(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new StudioError('SHAPE_MISMATCH', `Masks of ${a.length} and ${b.length} pixels`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
  }
  return union === 0 ? 1 : inter / union;
}

/** PSNR (8-bit peak) over the pixels where `keep` is 1: "did the rest of the picture stay?". */
export function psnrWhere(a: RgbImage, b: RgbImage, keep: Uint8Array): number {
  if (a.data.length !== b.data.length || keep.length * 3 !== a.data.length) throw new StudioError('SHAPE_MISMATCH', 'Images and mask differ in size');
  let sum = 0;
  let n = 0;
  for (let p = 0; p < keep.length; p++) {
    if (!keep[p]) continue;
    for (let c = 0; c < 3; c++) sum += (a.data[3 * p + c] - b.data[3 * p + c]) ** 2;
    n += 3;
  }
  if (n === 0) return Infinity;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / n));
}

/** Grows a mask by `radius` pixels (square neighbourhood). */
export function dilate(mask: Uint8Array, W: number, H: number, radius: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (!mask[y * W + x]) continue;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W) out[yy * W + xx] = 1;
        }
      }
    }
  }
  return out;
}

export const invert = (mask: Uint8Array): Uint8Array => mask.map((v) => 1 - v);
