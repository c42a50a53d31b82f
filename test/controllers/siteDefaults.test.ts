import { describe, expect, it } from 'vitest';
import { defaultStyleLayers } from '../../engine/controllers/styleInjection/layers.ts';
import { TokenMerging } from '../../engine/controllers/tome/tokenMerging.ts';
import type { UNetConfig } from '../../engine/models/spec.ts';
import { unetSites } from '../../engine/models/unet/sites.ts';
import { SD15_UNET } from './ipAdapter/fixtures.ts';

/** The toy model's UNet: like SDXL, no attention at full latent resolution (levels 1 and 2 only). */
const TOY_UNET: UNetConfig = {
  ...SD15_UNET, modelChannels: 32, channelMult: [1, 2, 3, 3], attentionLevels: [1, 2], attentionResolutions: [2, 4], contextDim: 128, timeEmbedDim: 128,
};

/** For each block token merging acts on, the side of the token grid it partitions (16×16 latent). */
function mergedGrids(unet: UNetConfig, maxDownsample: 1 | 2 | 4 | 8): number[] {
  const plan = new TokenMerging({ ratio: 0.5, maxDownsample }).plan(unetSites(unet));
  const feeds = plan.feeds!({ index: 0, count: 1, timesteps: [0.5, 0.5], latent: { height: 16, width: 16 } });
  // A 2×2 window keeps one destination per window: a grid of side n has n²/4 destinations.
  return Object.entries(feeds).filter(([k]) => k.endsWith('.dst')).map(([, t]) => Math.sqrt(t.dims[0] * 4));
}

describe('defaults that follow the network', () => {
  it('StyleID: SD 1.5 gets the reference layers 6–11; the toy network its two finest attention levels', () => {
    expect(defaultStyleLayers(unetSites(SD15_UNET).attention)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(defaultStyleLayers(unetSites(TOY_UNET).attention)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('token merging: max_downsample counts from the finest self-attention, so the toggle acts on every network', () => {
    // SD 1.5: the five blocks at full latent resolution (16×16 tokens), as tomesd.
    expect(mergedGrids(SD15_UNET, 1)).toEqual([16, 16, 16, 16, 16]);
    // The toy network has no attention at 16×16: its five 8×8 blocks, and with 2 also the 4×4 ones.
    expect(mergedGrids(TOY_UNET, 1)).toEqual([8, 8, 8, 8, 8]);
    expect(mergedGrids(TOY_UNET, 2).sort((a, b) => a - b)).toEqual([4, 4, 4, 4, 4, 8, 8, 8, 8, 8]);
  });
});
