import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import type { ImageInput } from '../api/schemas.ts';
import { loadImageInput } from '../image/loadImage.ts';
import type { ResultStore } from '../studio/results/store.ts';
import type { PlannedSize } from './size.ts';

export interface InpaintMask {
  width: number;
  height: number;
  /** 1 where the image may change, 0 where it must stay; pixel resolution. */
  binary: Float32Array;
  /** Weight of the generated pixels when pasting back: feathered inward, exactly 0 outside the mask. */
  blend: Float32Array;
  /** Latent resolution: 1 for every latent cell (f×f pixels) the mask touches (so the whole painted area is regenerated). */
  latent: Float32Array;
}

/**
 * Reads a painted mask at the working size. A mask with real transparency counts its opaque
 * pixels (a brush layer); otherwise its light pixels count (white = change, black = keep),
 * as the popular UIs do.
 */
export async function loadMask(input: ImageInput, results: ResultStore, size: PlannedSize, feather: number): Promise<InpaintMask> {
  const { width, height, factor } = size;
  const loaded = await loadImageInput(input, results);
  const base = () => sharp(loaded.bytes).resize(width, height, { kernel: 'nearest', fit: 'fill' });
  const alpha = await base().ensureAlpha().extractChannel(3).raw().toBuffer();
  const transparent = alpha.some((a) => a < 255);
  const grey = transparent ? alpha : await base().flatten({ background: '#000' }).greyscale().raw().toBuffer();
  if (grey.length !== width * height) throw new StudioError('IMAGE_INVALID', 'Mask could not be read as a single channel');
  const binary = new Float32Array(width * height);
  for (let i = 0; i < binary.length; i++) binary[i] = grey[i] >= 128 ? 1 : 0;
  return { width, height, binary, blend: await featherInward(binary, width, height, feather), latent: latentCells(binary, width, height, factor) };
}

/**
 * Softens the mask edge on the inside only: blurred at σ = feather/2, then 2·soft − 1 is
 * 0 on the painted border and rises to 1 inside, so pixels outside the mask never change.
 */
async function featherInward(binary: Float32Array, width: number, height: number, feather: number): Promise<Float32Array> {
  if (feather < 0.6) return Float32Array.from(binary);
  const bytes = Buffer.from(binary.map((v) => v * 255));
  const soft = await sharp(bytes, { raw: { width, height, channels: 1 } }).blur(feather / 2).extractChannel(0).raw().toBuffer();
  const out = new Float32Array(binary.length);
  for (let i = 0; i < out.length; i++) out[i] = binary[i] * Math.min(1, Math.max(0, (2 * soft[i]) / 255 - 1));
  return out;
}

function latentCells(binary: Float32Array, width: number, height: number, factor: number): Float32Array {
  const w = width / factor;
  const h = height / factor;
  const out = new Float32Array(w * h);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (binary[y * width + x] > 0) out[Math.floor(y / factor) * w + Math.floor(x / factor)] = 1;
    }
  }
  return out;
}

/** generated·blend + original·(1 − blend), per pixel of 8-bit RGB. */
export function pasteBack(generated: Uint8Array, original: Uint8Array, blend: Float32Array): Uint8Array {
  const out = new Uint8Array(original.length);
  for (let i = 0; i < blend.length; i++) {
    const b = blend[i];
    for (let c = 0; c < 3; c++) {
      const j = i * 3 + c;
      out[j] = b === 0 ? original[j] : Math.round(b * generated[j] + (1 - b) * original[j]);
    }
  }
  return out;
}
