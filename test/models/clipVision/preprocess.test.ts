import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIP_MEAN, CLIP_STD, clipPreprocess, resizeBicubicPil } from '../../../engine/models/clipVision/preprocess.ts';

const fixture = JSON.parse(readFileSync(new URL('./pilBicubic.json', import.meta.url), 'utf8')) as { width: number; height: number; outputs: Record<string, number[]> };

function pattern(w: number, h: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = (x * x * 7 + y * 53 + c * 101 + x * y * 3) % 256;
  return d;
}

describe('CLIP image preprocessing', () => {
  it('resizes like PIL bicubic (antialiased down, plain up) to within one level', () => {
    const src = { data: pattern(fixture.width, fixture.height), width: fixture.width, height: fixture.height };
    for (const [size, expected] of Object.entries(fixture.outputs)) {
      const [w, h] = size.split('x').map(Number);
      const got = resizeBicubicPil(src, w, h).data;
      let max = 0, off = 0;
      for (let i = 0; i < expected.length; i++) {
        const d = Math.abs(got[i] - expected[i]);
        max = Math.max(max, d);
        if (d) off++;
      }
      expect(max).toBeLessThanOrEqual(1);
      expect(off / expected.length).toBeLessThan(0.02);
    }
  });

  it('shortest edge to 224, centre crop, CLIP mean/std', () => {
    const w = 300, h = 240;
    const data = new Uint8Array(w * h * 3).fill(128);
    // A marker column at the horizontal centre survives the centre crop at the centre.
    for (let y = 0; y < h; y++) for (let c = 0; c < 3; c++) data[(y * w + 150) * 3 + c] = 255;
    const t = clipPreprocess({ data, width: w, height: h });
    expect(t.dims).toEqual([1, 3, 224, 224]);
    const px = (c: number, y: number, x: number) => (t.data as Float32Array)[c * 224 * 224 + y * 224 + x];
    expect(px(0, 5, 5)).toBeCloseTo((128 / 255 - CLIP_MEAN[0]) / CLIP_STD[0], 5);
    // resized width trunc(224·300/240) = 280, left = 28; column 150 → 112 − 28 = 112 in the crop.
    const row = Array.from({ length: 224 }, (_, x) => px(1, 100, x));
    expect(row.indexOf(Math.max(...row))).toBe(112);
  });
});
