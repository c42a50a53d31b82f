import { describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { ddimTables } from '../../engine/schedulers/ddim.ts';
import { sample } from '../../engine/schedulers/sample.ts';
import { makeSchedule } from '../../engine/schedulers/schedule.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

/**
 * ldm's DDIM loop replayed from the stored guided ε: no UNet runs here. The README states
 * a float32 recomputation reproduces `latents.npy` and `pred_x0.npy` bit for bit; we
 * require 1e-5 and report the actual difference.
 */

const LATENT = 4 * 8 * 8;

async function load(dir: string, name: string): Promise<Float32Array> {
  return npyToFloat32(await readNpy(`${dir}/${name}.npy`));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const row = (a: Float32Array, i: number) => a.subarray(i * LATENT, (i + 1) * LATENT);

describe.skipIf(!hasShared('golden'))('DDIM against the ldm sampling goldens', () => {
  for (const steps of [10, 50]) {
    it(`reproduces steps${steps}: timesteps, model inputs, latents and pred_x0`, async () => {
      const dir = sharedPath('golden', 'sd15-tiny', 'golden', 'ddim', `steps${steps}`);
      const xT = await load(sharedPath('golden', 'sd15-tiny', 'golden', 'ddim'), 'x_T');
      const eps = await load(dir, 'eps_guided');
      const latents = await load(dir, 'latents');
      const predX0 = await load(dir, 'pred_x0');
      const order = Array.from(await load(dir, 'timesteps_in_sampling_order'));

      // ldm's tables, element for element.
      const tables = ddimTables(makeSchedule(), steps);
      expect(tables.timesteps).toEqual(Array.from(await load(dir, 'ddim_timesteps')));
      expect(maxAbsDiff(tables.alphas, await load(dir, 'ddim_alphas'))).toBe(0);
      expect(maxAbsDiff(tables.alphasPrev, await load(dir, 'ddim_alphas_prev'))).toBe(0);
      expect(maxAbsDiff(tables.sigmas, await load(dir, 'ddim_sigmas'))).toBe(0);
      const sqrtOneMinus = tables.alphas.map((a) => Math.fround(Math.sqrt(Math.fround(1 - a))));
      expect(maxAbsDiff(sqrtOneMinus, await load(dir, 'ddim_sqrt_one_minus_alphas'))).toBe(0);

      const seenT: number[] = [];
      let inputDiff = 0;
      let latentDiff = 0;
      let predDiff = 0;
      const final = await sample({
        sampler: 'ddim',
        steps,
        noise: xT,
        model: async (x, t) => {
          const i = seenT.length;
          seenT.push(t);
          inputDiff = Math.max(inputDiff, maxAbsDiff(x, row(latents, i)));
          return row(eps, i).slice();
        },
        onStep: ({ step, done, count, x, predX0: p }) => {
          expect(done).toBe(step + 1);
          expect(count).toBe(steps);
          latentDiff = Math.max(latentDiff, maxAbsDiff(x, row(latents, step + 1)));
          predDiff = Math.max(predDiff, maxAbsDiff(p, row(predX0, step)));
        },
      });
      const finalDiff = maxAbsDiff(final, row(latents, steps));
      console.info(
        `DDIM ${steps} steps max |diff|: model input ${inputDiff}, latents ${latentDiff}, pred_x0 ${predDiff}, final ${finalDiff}`,
      );
      expect(seenT).toEqual(order);
      expect(inputDiff).toBeLessThan(1e-5);
      expect(latentDiff).toBeLessThan(1e-5);
      expect(predDiff).toBeLessThan(1e-5);
      expect(finalDiff).toBeLessThan(1e-5);
      expect(maxAbsDiff(final, await load(dir, 'final_latent'))).toBeLessThan(1e-5);
    });
  }

  it('calls the model with the golden per-call timesteps (CFG batch duplicates t)', async () => {
    const dir = sharedPath('golden', 'sd15-tiny', 'golden', 'ddim', 'steps10');
    const perCall = Array.from(await load(dir, 'unet_timesteps_per_call'));
    const order = Array.from(await load(dir, 'timesteps_in_sampling_order'));
    expect(perCall).toEqual(order.flatMap((t) => [t, t]));
  });
});
