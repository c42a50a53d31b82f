import { maskToGreyRgba } from '../editor/mask.ts';
import type { MaskBuffer } from '../editor/brush.ts';
import { blobToBase64 } from './imageFiles.ts';

/** The mask as a greyscale PNG at image resolution (white = change), the form jobs.inpaint reads. */
export async function encodeMaskPng(mask: MaskBuffer): Promise<string> {
  const canvas = new OffscreenCanvas(mask.width, mask.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D is unavailable');
  ctx.putImageData(new ImageData(maskToGreyRgba(mask) as Uint8ClampedArray<ArrayBuffer>, mask.width, mask.height), 0, 0);
  return blobToBase64(await canvas.convertToBlob({ type: 'image/png' }));
}
