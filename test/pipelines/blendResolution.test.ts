import { describe, expect, it } from 'vitest';
import { blendResolution } from '../../engine/pipelines/edit.ts';

describe('the resolution local blending reads its maps at', () => {
  const sd = [1, 1, 2, 2, 4, 4, 8, 2, 1];
  it('is latent/4 as in the reference whenever that leaves 8 cells a side', () => {
    expect(blendResolution(64, 64, sd)).toBe(4); // 512 px: 16² maps
    expect(blendResolution(32, 48, sd)).toBe(4); // 256×384 px: 8×12 maps
  });
  it('is finer for small latents, down to the finest cross-attention the network has', () => {
    expect(blendResolution(16, 16, sd)).toBe(2);
    expect(blendResolution(8, 8, sd)).toBe(1); // the toy model at 64 px: 8² maps, not 2²
    expect(blendResolution(4, 4, sd)).toBe(1);
    expect(blendResolution(8, 8, [2, 4, 8])).toBe(2);
  });
  it('is refused for a network without cross-attention at latent/4 or finer', () => {
    expect(() => blendResolution(64, 64, [8])).toThrow(/local blending/);
  });
});
