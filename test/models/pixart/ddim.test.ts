import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadPixArt, openPixArt } from '../../../engine/models/pixart/index.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { makeSchedule } from '../../../engine/schedulers/schedule.ts';
import { sample } from '../../../engine/schedulers/sample.ts';
import { DdimSampler } from '../../../engine/schedulers/ddim.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'pixart-tiny', ...p);
const golden = async (...p: string[]) => readNpy(tiny('golden', 'ddim', ...p));
const f32 = async (...p: string[]) => npyToFloat32(await golden(...p));
const CFG = 4.5;
let dir: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });

/**
 * PixArtAlphaPipeline's loop: one transformer call on [uncond, cond], guidance on all 8
 * channels, the sampler takes channels 0..3 (learned sigma dropped).
 */
async function ddimLoop(file: string, schedule: 'linear' | 'scaled_linear', contexts: { cond: Float32Array; uncond: Float32Array }) {
  const dit = await loadPixArt(await openPixArt(tiny(file)), { runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } }, cache });
  const [condMask, uncondMask, xT] = await Promise.all([golden('cond_attention_mask.npy'), golden('uncond_attention_mask.npy'), golden('x_T.npy')]);
  const L = condMask.shape[1];
  const caption = new Float32Array(2 * L * 32);
  caption.set(contexts.uncond, 0);
  caption.set(contexts.cond, L * 32);
  const mask = [...Array.from(uncondMask.data as BigInt64Array), ...Array.from(condMask.data as BigInt64Array)];
  const [, C, h, w] = xT.shape;
  const n = C * h * w;
  const eps: Float32Array[] = [];
  const predX0: Float32Array[] = [];
  const final = await sample({
    sampler: 'ddim',
    steps: 4,
    schedule: schedule === 'linear' ? makeSchedule({ linearStart: 1e-4, linearEnd: 0.02, betaSchedule: 'linear' }) : makeSchedule(),
    noise: npyToFloat32(xT),
    model: async (x, t) => {
      const batch = new Float32Array(2 * n);
      batch.set(x, 0);
      batch.set(x, n);
      const out = await dit.evaluate({ data: batch, dims: [2, C, h, w] }, [t, t], { data: caption, dims: [2, L, 32] }, mask);
      const e = new Float32Array(n);
      const plane = 8 * h * w; // output channels per image; ε is the first 4
      for (let i = 0; i < n; i++) e[i] = out[i] + CFG * (out[plane + i] - out[i]);
      eps.push(e);
      return e;
    },
    onStep: (s) => {
      predX0.push(Float32Array.from(s.predX0));
    },
  });
  return { final, eps, predX0 };
}

const stack = (xs: Float32Array[]) => {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of xs) out.set(x, (o += x.length) - x.length);
  return out;
};

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('PixArt DDIM loop with CFG 4.5 (pixart-tiny, diffusers PixArtAlphaPipeline)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixart-ddim-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it("PixArt's linear betas: the schedule's ᾱ and timesteps are diffusers'", async () => {
    const s = makeSchedule({ linearStart: 1e-4, linearEnd: 0.02, betaSchedule: 'linear' });
    // diffusers multiplies the product out in float32, the engine in float64 then rounds: ≤ 2 ulp apart.
    expect(maxAbsDiff(s.alphasCumprod, await f32('linear_steps4', 'alphas_cumprod.npy'))).toBeLessThan(3e-7);
    const timesteps = new DdimSampler({ steps: 4, schedule: s }).timesteps();
    expect(timesteps).toEqual(Array.from((await golden('linear_steps4', 'timesteps.npy')).data as BigInt64Array, Number));
  });

  for (const schedule of ['linear', 'scaled_linear'] as const) {
    it(`${schedule} betas, F32 file: ε, pred_x0 and the final latent within the README limits`, async () => {
      const contexts = { cond: await f32('cond_context.npy'), uncond: await f32('uncond_context.npy') };
      const { final, eps, predX0 } = await ddimLoop('pixart-tiny.f32.safetensors', schedule, contexts);
      const dir4 = `${schedule}_steps4`;
      const dEps = maxAbsDiff(stack(eps), await f32(dir4, 'eps_guided.npy'));
      const dX0 = maxAbsDiff(stack(predX0), await f32(dir4, 'pred_x0.npy'));
      const dFinal = maxAbsDiff(final, await f32(dir4, 'final_latent.npy'));
      console.info(`[pixart ddim] ${schedule} f32: eps ${dEps.toExponential(2)}, pred_x0 ${dX0.toExponential(2)}, final ${dFinal.toExponential(2)}`);
      expect(dEps).toBeLessThan(1e-3);
      expect(dX0).toBeLessThan(1e-2);
      expect(dFinal).toBeLessThan(1e-2);
    });
  }

  it('linear betas, F16 file: within 1e-2 of the F16-weights loop and 1.0 of the main one', async () => {
    const contexts = { cond: await f32('..', 'from_f16_weights', 'ddim', 'cond_context.npy'), uncond: await f32('..', 'from_f16_weights', 'ddim', 'uncond_context.npy') };
    const { final, predX0 } = await ddimLoop('pixart-tiny.f16.safetensors', 'linear', contexts);
    const own = maxAbsDiff(final, npyToFloat32(await readNpy(tiny('golden', 'from_f16_weights', 'ddim', 'linear_steps4', 'final_latent.npy'))));
    const ownX0 = maxAbsDiff(stack(predX0), npyToFloat32(await readNpy(tiny('golden', 'from_f16_weights', 'ddim', 'linear_steps4', 'pred_x0.npy'))));
    const main = maxAbsDiff(final, await f32('linear_steps4', 'final_latent.npy'));
    console.info(`[pixart ddim] linear f16: final vs from_f16_weights ${own.toExponential(2)} (pred_x0 ${ownX0.toExponential(2)}), vs main ${main.toExponential(2)}`);
    expect(own).toBeLessThan(1e-2);
    expect(ownX0).toBeLessThan(1e-2);
    expect(main).toBeLessThan(1.0);
  });
});
