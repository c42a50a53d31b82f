import { describe, expect, it } from 'vitest';
import { detectModel } from '../../engine/models/detect.ts';
import { hintsFromConfig } from '../../engine/models/configHints.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

describe('default output size is the model training resolution', () => {
  it('reads native_resolution from a studio config', () => {
    expect(hintsFromConfig({ unet: {}, native_resolution: [64, 64] }, 'x.json')?.nativeSize).toBe(64);
    expect(hintsFromConfig({ unet: {}, native_resolution: 768 }, 'x.json')?.nativeSize).toBe(768);
    expect(hintsFromConfig({ unet: {} }, 'x.json')?.nativeSize).toBeUndefined();
  });

  it('the bundled toy model generates at 64 px by default', async () => {
    const spec = (await detectModel(BUNDLED_DEFAULT_MODEL)) as StableDiffusionSpec;
    expect(spec.nativeSize).toBe(64);
  });

  it.skipIf(!hasShared('golden', 'sd15-tiny'))('an SD 1.x checkpoint without a size in its config defaults to 512', async () => {
    const spec = (await detectModel(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'))) as StableDiffusionSpec;
    expect(spec.nativeSize).toBe(512);
  });
});
