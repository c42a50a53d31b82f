import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mse, psnr } from '../../engine/image/metrics.ts';
import { centerSquareCrop, resizeLanczos, snapSize } from '../../engine/image/resize.ts';
import { clampTensor, imageToTensor, rgbToTensor, saveTensorPng, tensorToRgb } from '../../engine/image/tensor.ts';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A 5x4 RGBA test picture: red ramp, green constant, blue = x·y, alpha noise (to be dropped). */
function testRgba(): Buffer {
  const b = Buffer.alloc(5 * 4 * 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) {
    const i = (y * 5 + x) * 4;
    b[i] = x * 60; b[i + 1] = 128; b[i + 2] = x * y * 20; b[i + 3] = (x * 37 + y * 11) % 256;
  }
  return b;
}

describe('image ↔ tensor', () => {
  it('reads PNG pixels into NCHW [0,1] and [-1,1], dropping alpha, and writes them back losslessly', async () => {
    const png = join(dir, 'rgba.png');
    await sharp(testRgba(), { raw: { width: 5, height: 4, channels: 4 } }).png().toFile(png);
    const t01 = await imageToTensor(png, 'zero1');
    expect(t01.dims).toEqual([1, 3, 4, 5]);
    const d = t01.data as Float32Array;
    expect(d[3]).toBeCloseTo(180 / 255, 6); // R at (x 3, y 0)
    expect(d[20 + 7]).toBeCloseTo(128 / 255, 6); // G plane
    expect(d[40 + 2 * 5 + 3]).toBeCloseTo(120 / 255, 6); // B at (3, 2)
    const tpm = await imageToTensor(png, 'minus1to1');
    expect((tpm.data as Float32Array)[0]).toBe(-1);
    expect((tpm.data as Float32Array)[3]).toBeCloseTo((180 / 255) * 2 - 1, 6);

    const out = join(dir, 'back.png');
    await saveTensorPng(tpm, out, 'minus1to1');
    expect(Array.from((await imageToTensor(out, 'zero1')).data as Float32Array)).toEqual(Array.from(d));
  });

  it('clamps and rounds on the way out', () => {
    const t = { data: Float32Array.from([-0.5, 0.5, 1.5]), dims: [1, 3, 1, 1] };
    expect(Array.from(tensorToRgb(t, 'zero1').data)).toEqual([0, 128, 255]);
    expect(Array.from(clampTensor(t, 0, 1).data as Float32Array)).toEqual([0, 0.5, 1]);
    expect(rgbToTensor({ data: Uint8Array.from([255, 0, 51]), width: 1, height: 1 }, 'zero1').data).toEqual(Float32Array.from([1, 0, 0.2]));
  });

  it('PSNR and MSE', () => {
    expect(mse([0, 1], [0.5, 1])).toBeCloseTo(0.125, 12);
    expect(psnr([0, 0, 0, 0], [0.1, 0.1, 0.1, 0.1])).toBeCloseTo(20, 10);
    expect(psnr([0, 0], [0.2, 0.2], 2)).toBeCloseTo(10 * Math.log10(4 / 0.04), 10);
    expect(psnr([1], [1])).toBe(Infinity);
    expect(snapSize(764, 1146)).toEqual({ width: 760, height: 1144 });
  });
});

describe.skipIf(!hasShared('golden', 'taesd', 'taef2'))('preprocessing as the goldens describe it', () => {
  it('centre crop + Lanczos 256 of gnochi_mirror.jpeg ≈ the stored preprocessed input', async () => {
    const square = await centerSquareCrop(sharedPath('images', 'gnochi_mirror.jpeg'));
    expect((await square.metadata()).width).toBe(960);
    const t = await imageToTensor(await resizeLanczos(square, 256, 256), 'zero1');
    const ref = npyToFloat32(await readNpy(sharedPath('golden', 'taesd', 'taef2', 'golden', 'encoder_input_image01.npy')));
    const db = psnr(t.data as Float32Array, ref);
    console.info(`[image] sharp vs PIL Lanczos preprocessing: ${db.toFixed(1)} dB`);
    expect(db).toBeGreaterThan(50); // sub-level differences between the two Lanczos implementations
  });
});
