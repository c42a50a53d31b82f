import { describe, expect, it } from 'vitest';
import { detectVAEConfig, expectedVAETensors } from '../../../engine/models/vae/shapes.ts';
import type { VAEConfig } from '../../../engine/models/spec.ts';
import { latentFactor } from '../../../engine/models/vae/latent.ts';
import { WeightStore } from '../../../engine/models/weightStore.ts';
import { planModelSize, planSize } from '../../../engine/pipelines/size.ts';
import { headerInfos } from '../../controllers/ipAdapter/fixtures.ts';

const vae = (chMult: number[]): VAEConfig => ({
  inChannels: 3, outChannels: 3, ch: 32, chMult, numResBlocks: 1, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true,
});
const storeOf = (c: VAEConfig) => WeightStore.from(headerInfos(expectedVAETensors(c), 'vae.safetensors'), 'vae.safetensors');

describe('VAE latent factor', () => {
  it('follows the number of autoencoder levels: SD kl-f8, LDM kl-f4', () => {
    expect(latentFactor(detectVAEConfig(storeOf(vae([1, 2, 4, 4]))))).toBe(8);
    expect(latentFactor(detectVAEConfig(storeOf(vae([1, 2, 3]))))).toBe(4);
  });

  it('refuses an autoencoder coarser than f8, naming its levels', () => {
    expect(() => detectVAEConfig(storeOf(vae([1, 1, 2, 2, 4])))).toThrow(/5 levels \(a factor of 16\)/);
  });

  it('plans image sides in steps of 8 pixels and the latent by the factor', () => {
    expect(planSize(500, 300, 8)).toEqual({ width: 496, height: 296, latentWidth: 62, latentHeight: 37, factor: 8 });
    expect(planSize(500, 300, 4)).toEqual({ width: 496, height: 296, latentWidth: 124, latentHeight: 74, factor: 4 });
    expect(() => planSize(60, 300, 4)).toThrow(/at least 64×64/);
    // a model's own size and factor when the request names none
    expect(planModelSize({ nativeSize: 64, vae: vae([1, 2, 3]) })).toEqual({ width: 64, height: 64, latentWidth: 16, latentHeight: 16, factor: 4 });
    expect(planModelSize({ nativeSize: 512, vae: vae([1, 2, 4, 4]) }, 256)).toMatchObject({ width: 256, height: 512, latentWidth: 32, latentHeight: 64 });
  });
});
