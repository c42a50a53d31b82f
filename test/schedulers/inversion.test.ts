import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { randn } from '../../engine/random/index.ts';
import { ddimStep, ddimTables } from '../../engine/schedulers/ddim.ts';
import { invertDdim } from '../../engine/schedulers/inversion.ts';
import { sample } from '../../engine/schedulers/sample.ts';
import { makeSchedule } from '../../engine/schedulers/schedule.ts';
import type { ModelFn } from '../../engine/schedulers/types.ts';
import { gaussianModel, maxAbsDiff, meanStd, rms } from './gaussianData.ts';

const N = 4 * 32 * 32;
const MU = 0.5;
const S = 0.8;
const x0 = randn(5, N).map((v) => MU + S * v);

/** ε that depends on t only: inversion is then the exact inverse of sampling, up to float32 rounding. */
const field = randn(9, N);
const timeOnly: ModelFn = (_x, t) => field.map((v) => v * Math.cos(t / 300));

describe('DDIM inversion', () => {
  it('walks up the same timesteps DDIM sampling walks down and returns every latent', async () => {
    const ts: number[] = [];
    const hooked: number[] = [];
    const inv = await invertDdim({
      x0,
      steps: 10,
      model: (x, t, sigma, step) => (ts.push(t), gaussianModel(MU, S)(x, t, sigma, step)),
      onStep: (info) => void hooked.push(info.timestep),
    });
    expect(ts).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    expect(hooked).toEqual(ts);
    expect(inv.timesteps).toEqual(ts);
    expect(inv.latents.length).toBe(11);
    expect(inv.latents[0]).toEqual(x0);
    // The inverted latent looks like noise at ᾱ_901 = 0.014: close to unit variance (0.998
    // exactly; 10 inversion steps undershoot a little).
    const { std } = meanStd(inv.latents[10]);
    expect(Math.abs(std - 1)).toBeLessThan(0.15);
  });

  it('passes each call its inversion step index and the number of inversion steps', async () => {
    for (const [steps, strength, count] of [[10, 1, 10], [50, 0.6, 30]] as const) {
      const calls: { index: number; count: number; t: number }[] = [];
      const inv = await invertDdim({
        x0,
        steps,
        strength,
        model: (x, t, sigma, step) => (calls.push({ index: step.index, count: step.count, t }), gaussianModel(MU, S)(x, t, sigma, step)),
      });
      expect(calls.map(({ index, count: c }) => ({ index, count: c }))).toEqual(Array.from({ length: count }, (_, index) => ({ index, count })));
      // Step i is evaluated at the i-th timestep inverted through (ascending).
      expect(calls.map((c) => c.t)).toEqual(inv.timesteps);
    }
  });

  it('is the exact reverse of sampling when ε does not depend on x', async () => {
    for (const steps of [10, 50]) {
      const inv = await invertDdim({ x0, steps, model: timeOnly });
      const back = await sample({ sampler: 'ddim', steps, startLatent: inv.latents[steps], model: timeOnly });
      const err = maxAbsDiff(back, x0);
      console.info(`DDIM inversion round trip, t-only ε, ${steps} steps: max |diff| ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
    }
  });

  it('with the exact Gaussian-data denoiser, inversion then sampling returns close to the start', async () => {
    const errors: number[] = [];
    for (const steps of [10, 50, 200]) {
      const inv = await invertDdim({ x0, steps, model: gaussianModel(MU, S) });
      const back = await sample({ sampler: 'ddim', steps, startLatent: inv.latents[steps], model: gaussianModel(MU, S) });
      errors.push(rms(back, x0));
    }
    console.info(`DDIM inversion round trip rms error at 10/50/200 steps: ${errors.map((e) => e.toExponential(2)).join(' ')}`);
    expect(errors[1]).toBeLessThan(errors[0]);
    expect(errors[2]).toBeLessThan(errors[1]);
    expect(errors[1]).toBeLessThan(0.03); // 50 steps, data std 0.8
    expect(errors[2]).toBeLessThan(0.01);
  });

  it('partial inversion pairs with img2img at the same strength', async () => {
    const model = gaussianModel(MU, S);
    const inv = await invertDdim({ x0, steps: 50, strength: 0.6, model });
    expect(inv.latents.length).toBe(31);
    expect(inv.timesteps.at(-1)).toBe(581);
    const seen: number[] = [];
    const back = await sample({
      sampler: 'ddim',
      steps: 50,
      strength: 0.6,
      startLatent: inv.latents[30],
      model: (x, t, sigma, step) => (seen.push(t), model(x, t, sigma, step)),
    });
    expect(seen).toEqual([...inv.timesteps].reverse());
    expect(rms(back, x0)).toBeLessThan(0.03);
  });

  it('v-prediction models invert like ε models', async () => {
    const eps = await invertDdim({ x0, steps: 20, model: gaussianModel(MU, S) });
    const v = await invertDdim({ x0, steps: 20, model: gaussianModel(MU, S, 'v'), parameterization: 'v' });
    expect(maxAbsDiff(eps.latents[20], v.latents[20])).toBeLessThan(1e-4);
  });

  it('is cancellable between steps', async () => {
    const controller = new AbortController();
    let calls = 0;
    const err = await invertDdim({
      x0,
      steps: 10,
      signal: controller.signal,
      model: (x, t, sigma, step) => (++calls === 2 && controller.abort(), gaussianModel(MU, S)(x, t, sigma, step)),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('CANCELLED');
    expect(calls).toBe(2);
  });
});

describe('ddimStep', () => {
  it('moves between any two levels and back along the same ε', () => {
    const { alphas } = ddimTables(makeSchedule(), 10);
    const eps = randn(11, N);
    const x = randn(12, N);
    const up = ddimStep(x, eps, alphas[2], alphas[5]);
    const down = ddimStep(up.x, eps, alphas[5], alphas[2]);
    expect(maxAbsDiff(down.x, x)).toBeLessThan(1e-5);
    expect(maxAbsDiff(up.predX0, down.predX0)).toBeLessThan(1e-5);
  });

  it('needs noise when σ > 0 and checks sizes', () => {
    const x = randn(1, 8);
    expect(() => ddimStep(x, x, 0.5, 0.6, { sigma: 0.1 })).toThrow(StudioError);
    expect(() => ddimStep(x, x.subarray(1), 0.5, 0.6)).toThrow(StudioError);
    const withNoise = ddimStep(x, x, 0.5, 0.6, { sigma: 0.1, noise: randn(2, 8) });
    expect(withNoise.x).not.toEqual(ddimStep(x, x, 0.5, 0.6).x);
  });
});
