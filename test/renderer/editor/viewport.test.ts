import { describe, expect, it } from 'vitest';
import { actualSizeViewport, fitViewport, panBy, toImage, wheelZoomFactor, zoomAt } from '../../../renderer/src/editor/viewport.ts';

describe('viewport', () => {
  it('fits and centres an image', () => {
    const v = fitViewport(1000, 500, 548, 548, 24);
    expect(v.scale).toBeCloseTo(0.5);
    expect(toImage(v, 274, 274)).toEqual([500, 250]);
  });

  it('100% puts one image pixel on one CSS pixel', () => {
    expect(actualSizeViewport(64, 64, 200, 100)).toEqual({ scale: 1, x: 68, y: 18 });
  });

  it('zooming keeps the point under the cursor fixed', () => {
    const v = fitViewport(64, 64, 400, 400);
    const before = toImage(v, 123, 77);
    const z = zoomAt(v, 2.5, 123, 77);
    expect(z.scale).toBeCloseTo(v.scale * 2.5);
    const after = toImage(z, 123, 77);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
  });

  it('clamps zoom and pans by screen pixels', () => {
    expect(zoomAt({ scale: 1, x: 0, y: 0 }, 1e6, 0, 0).scale).toBe(64);
    expect(panBy({ scale: 2, x: 1, y: 1 }, 10, -5)).toEqual({ scale: 2, x: 11, y: -4 });
    expect(wheelZoomFactor(-100, 0, false)).toBeGreaterThan(1);
    expect(wheelZoomFactor(3, 1, false)).toBeLessThan(1);
  });
});
