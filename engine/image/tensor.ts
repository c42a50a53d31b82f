import sharp, { type Sharp } from 'sharp';
import { StudioError } from '../api/errors.ts';
import type { HostTensor } from '../graph/session.ts';

/**
 * Conversions between images and NCHW float tensors. Two value ranges meet here: the KL VAE
 * works in [-1, 1], TAESD in [0, 1] (golden README). Alpha is dropped, not composited, as
 * PIL's `convert("RGB")` does, so the same file gives the same tensor as the references.
 */
export type ValueRange = 'minus1to1' | 'zero1';

/** Anything sharp can open, or an open sharp pipeline. */
export type ImageSource = string | Buffer | Sharp;

function open(src: ImageSource): Sharp {
  return typeof src === 'string' || Buffer.isBuffer(src) ? sharp(src, { failOn: 'error' }) : src.clone();
}

/** 8-bit interleaved RGB pixels of an image. */
export async function readRgb(src: ImageSource): Promise<{ data: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await open(src).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new StudioError('IMAGE_INVALID', `Expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError('IMAGE_INVALID', `Cannot read image: ${(e as Error).message}`);
  }
}

/** Interleaved 8-bit RGB → [1, 3, H, W] float32 in `range`. */
export function rgbToTensor(rgb: { data: Uint8Array; width: number; height: number }, range: ValueRange): HostTensor {
  const { data, width, height } = rgb;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      // Same float32 steps as the references: x / 255, then 2x − 1.
      const v = Math.fround(data[i * 3 + c] / 255);
      out[c * plane + i] = range === 'zero1' ? v : Math.fround(Math.fround(2 * v) - 1);
    }
  }
  return { data: out, dims: [1, 3, height, width], dtype: 'float32' };
}

export async function imageToTensor(src: ImageSource, range: ValueRange): Promise<HostTensor> {
  return rgbToTensor(await readRgb(src), range);
}

/** Image `index` of an NCHW tensor → 8-bit interleaved RGB (clamped, rounded). */
export function tensorToRgb(t: HostTensor, range: ValueRange, index = 0): { data: Uint8Array; width: number; height: number } {
  const [, C, H, W] = t.dims;
  if (t.dims.length !== 4 || C !== 3) throw new StudioError('SHAPE_MISMATCH', `Expected [B, 3, H, W], got [${t.dims.join(', ')}]`);
  const src = t.data as Float32Array;
  const plane = H * W;
  const base = index * 3 * plane;
  const out = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = src[base + c * plane + i];
      const u = range === 'zero1' ? v : (v + 1) / 2;
      out[i * 3 + c] = Math.round(Math.min(1, Math.max(0, u)) * 255);
    }
  }
  return { data: out, width: W, height: H };
}

export function tensorToSharp(t: HostTensor, range: ValueRange, index = 0): Sharp {
  const rgb = tensorToRgb(t, range, index);
  return sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
}

export async function saveTensorPng(t: HostTensor, path: string, range: ValueRange, index = 0): Promise<void> {
  await tensorToSharp(t, range, index).png().toFile(path);
}

/** Clamps a tensor's values into a range (e.g. decoded images before display or PSNR). */
export function clampTensor(t: HostTensor, lo: number, hi: number): HostTensor {
  const src = t.data as Float32Array;
  return { data: src.map((v) => Math.min(hi, Math.max(lo, v))), dims: [...t.dims], dtype: 'float32' };
}
