import { afterAll, describe, expect, it } from 'vitest';
import { DEBUG_MODULES } from '../../../engine/cli/debugModules.ts';
import { sessionCache } from '../../../engine/graph/session.ts';
import type { NpyArray } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, golden, goldenNpy } from './fixture.ts';

/** Runs a debug module on golden inputs and compares with a golden output (F16 file → from_f16_weights, F32 limits). */
async function check(module: string, inputs: Record<string, string>, expected: string, limit: number, fromF16 = true) {
  const run = await DEBUG_MODULES[module].load(SDXL_TINY_F16);
  const given = new Map<string, NpyArray>();
  for (const [name, file] of Object.entries(inputs)) given.set(name, await goldenNpy(file));
  const out = await run(given);
  const d = maxAbsDiff(out.data as Float32Array, await golden(expected, fromF16));
  console.info(`[sdxl debug] ${module}: max abs ${d.toExponential(2)}`);
  expect(d).toBeLessThan(limit);
  return out;
}

describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('SDXL debug modules on sdxl-tiny (golden README inputs and outputs)', () => {
  afterAll(() => sessionCache.clear());

  it('sdxl-text-encoders: ids_l, ids_g → crossattn [3, 77, 80]', async () => {
    const out = await check('sdxl-text-encoders', { ids_l: 'text/input_ids_clip_l.npy', ids_g: 'text/input_ids_clip_g.npy' }, 'conditioning/crossattn.npy', 1e-3);
    expect(out.shape).toEqual([3, 77, 80]);
  });

  it('sdxl-pooled: ids_g → pooled [3, 40]', async () => {
    const out = await check('sdxl-pooled', { ids_g: 'text/input_ids_clip_g.npy' }, 'text/clip_g_pooled.npy', 1e-3);
    expect(out.shape).toEqual([3, 40]);
  });

  it('sdxl-vector: pooled and the three sizes → y [3, 1576]', async () => {
    const out = await check('sdxl-vector', {
      pooled: 'text/clip_g_pooled.npy', original_size: 'conditioning/original_size_as_tuple.npy',
      crop_coords_top_left: 'conditioning/crop_coords_top_left.npy', target_size: 'conditioning/target_size_as_tuple.npy',
    }, 'conditioning/vector.npy', 1e-3, false); // weight-free: the F32-weight pooled input gives the F32-weight y
    expect(out.shape).toEqual([3, 1576]);
  });

  it('sdxl-unet: x, t, context, y → eps (case 2: unconditional zeros beside a prompt)', async () => {
    const c = (a: string) => `unet_case2/${a}.npy`;
    await check('sdxl-unet', { x: c('x'), t: c('t'), context: c('context'), y: c('y') }, c('eps'), 1e-3);
  });

  it('vae-decoder and vae-encoder run the SDXL VAE with its scale factor 0.13025', async () => {
    await check('vae-decoder', { z: 'vae_decoder/z.npy' }, 'vae_decoder/image.npy', 1e-3);
    await check('vae-encoder', { image: 'vae_encoder/image.npy' }, 'vae_encoder/moments.npy', 1e-3);
  });

  it('the SD modules refuse SDXL and name the module to use', async () => {
    await expect(DEBUG_MODULES.unet.load(SDXL_TINY_F16)).rejects.toThrow(/sdxl-unet/);
    await expect(DEBUG_MODULES['text-encoder'].load(SDXL_TINY_F16)).rejects.toThrow(/sdxl-text-encoders/);
  });
});
