import { afterAll, describe, expect, it } from 'vitest';
import { tokenMergingControllers } from '../../../engine/controllers/tome/tokenMerging.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import { loadUNet } from '../../../engine/models/unet/runner.ts';
import { SDXL_EXTRA } from '../../../engine/models/unet/vectorConditioning.ts';
import { npyToFloat32 } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, goldenNpy } from './fixture.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });

/** Token merging on the SDXL UNet, whose attention starts at level 1 (no transformer at full resolution): the neutral sites carry it. */
describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('token merging on the SDXL UNet (sdxl-tiny)', () => {
  afterAll(() => cache.clear());

  it('the default merges at the finest attention level (level 1), max_downsample 2 also at level 2', async () => {
    const spec = await detectModel(SDXL_TINY_F16);
    if (spec.family !== 'sdxl') throw new Error('expected SDXL');
    const [x, t, context, y] = await Promise.all(['x', 't', 'context', 'y'].map((a) => goldenNpy(`unet_case2/${a}.npy`)));
    const run = async (tome?: { ratio: number; maxDownsample?: 1 | 2 }) => {
      const unet = await loadUNet(spec, { runtime: { threads: 1 }, cache, controllers: tokenMergingControllers(tome) });
      const out = await unet.run({ data: npyToFloat32(x), dims: x.shape }, Array.from(t.data as BigInt64Array, Number), {
        context: { data: npyToFloat32(context), dims: context.shape },
        extra: { [SDXL_EXTRA.vector]: { data: npyToFloat32(y), dims: y.shape } },
      }, { index: 0, count: 1 });
      return out.output;
    };
    const plain = await run();
    // max_downsample counts from the finest attention level, so on SDXL it is level 1 (4× fewer tokens than the latent), not nowhere.
    const level1 = await run({ ratio: 0.5 });
    const both = await run({ ratio: 0.5, maxDownsample: 2 });
    const d1 = maxAbsDiff(level1, plain);
    const d12 = maxAbsDiff(both, level1);
    console.info(`[sdxl tome] ratio 0.5: level 1 changes the output by ${d1.toExponential(2)}; adding level 2 by ${d12.toExponential(2)} more`);
    expect(d1).toBeGreaterThan(1e-4);
    expect(d12).toBeGreaterThan(1e-4);
    expect(Number.isFinite(d1 + d12)).toBe(true);
  });
});
