import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { randn, stepNoise } from '../../engine/random/index.ts';
import { createSampler, sample } from '../../engine/schedulers/sample.ts';
import type { ModelFn, SamplerName } from '../../engine/schedulers/types.ts';
import { gaussianModel, maxAbsDiff } from './gaussianData.ts';

const N = 4 * 16 * 16;
const SAMPLERS: SamplerName[] = ['ddim', 'euler', 'euler-a', 'dpmpp-2m'];
const noise = randn(3, N);
const init = randn(4, N).map((v) => 0.5 + 0.8 * v);
const stepNoiseSource = stepNoise(5, [1, N]);
const model = gaussianModel(0.5, 0.8);

function counting(inner: ModelFn): { fn: ModelFn; calls: { t: number; x: Float32Array }[] } {
  const calls: { t: number; x: Float32Array }[] = [];
  return { calls, fn: (x, t, sigma, step) => (calls.push({ t, x: x.slice() }), inner(x, t, sigma, step)) };
}

async function rejection(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return e as StudioError;
  }
  throw new Error('expected a rejection');
}

describe('img2img strength', () => {
  for (const name of SAMPLERS) {
    it(`${name}: strength 0 returns the input unchanged without calling the model`, async () => {
      const m = counting(model);
      const out = await sample({ sampler: name, steps: 20, noise, init, strength: 0, model: m.fn, stepNoise: stepNoiseSource });
      expect(m.calls.length).toBe(0);
      expect(out).toEqual(init);
      expect(out).not.toBe(init);
    });

    it(`${name}: strength 1 is exactly a full text-to-image run`, async () => {
      const common = { sampler: name, steps: 20, noise, model, stepNoise: stepNoiseSource };
      const full = await sample(common);
      const img2img = await sample({ ...common, init, strength: 1 });
      expect(img2img).toEqual(full);
    });

    it(`${name}: strength 0.5 runs the last half of the schedule from the noised input`, async () => {
      const sampler = createSampler(name, { steps: 20, stepNoise: stepNoiseSource });
      const m = counting(model);
      await sample({ sampler: name, steps: 20, noise, init, strength: 0.5, model: m.fn, stepNoise: stepNoiseSource });
      expect(m.calls.map((c) => c.t)).toEqual(sampler.timesteps().slice(10));
      // The first model input is the init noised to level 10, seen as the VP latent.
      const start = sampler.noised(init, noise, 10);
      const sigma = sampler.sigmas()[10];
      const vp = name === 'ddim' ? start : start.map((v) => v / Math.sqrt(1 + sigma * sigma));
      expect(maxAbsDiff(m.calls[0].x, vp)).toBeLessThan(1e-6);
    });
  }

  it('more strength moves the result further from the input', async () => {
    const distances: number[] = [];
    for (const strength of [0.2, 0.5, 0.8]) {
      const out = await sample({ sampler: 'ddim', steps: 20, noise, init, strength, model });
      distances.push(maxAbsDiff(out, init));
    }
    expect(distances[0]).toBeLessThan(distances[1]);
    expect(distances[1]).toBeLessThan(distances[2]);
  });

  it('strength 0 needs no noise; a startLatent needs none either', async () => {
    expect(await sample({ sampler: 'euler', steps: 10, init, strength: 0, model })).toEqual(init);
    const start = createSampler('ddim', { steps: 10 }).noised(init, noise, 5);
    const viaStart = await sample({ sampler: 'ddim', steps: 10, strength: 0.5, startLatent: start, model });
    const viaInit = await sample({ sampler: 'ddim', steps: 10, strength: 0.5, init, noise, model });
    expect(viaStart).toEqual(viaInit);
  });

  it('needs an init latent below strength 1', async () => {
    expect((await rejection(sample({ sampler: 'euler', steps: 10, noise, strength: 0.5, model }))).code).toBe('INVALID_REQUEST');
  });
});

describe('step hook', () => {
  for (const name of SAMPLERS) {
    it(`${name}: reports every step and lets the hook overwrite x (inpainting blend)`, async () => {
      const sampler = createSampler(name, { steps: 8, stepNoise: stepNoiseSource });
      const seen: number[] = [];
      const m = counting(model);
      const out = await sample({
        sampler: name,
        steps: 8,
        noise,
        model: m.fn,
        stepNoise: stepNoiseSource,
        onStep: (info) => {
          seen.push(info.step);
          expect(info.timestep).toBe(sampler.timesteps()[info.step]);
          expect(info.sigma).toBe(sampler.sigmas()[info.step]);
          expect(info.sigmaNext).toBe(sampler.sigmas()[info.step + 1]);
          expect(info.predX0.length).toBe(N);
          // A mask that keeps nothing generated: x becomes the original at x's current level.
          info.x.set(info.noised(init, noise));
        },
      });
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // The next step saw the blended latent.
      const level1 = sampler.noised(init, noise, 1);
      const sigma1 = sampler.sigmas()[1];
      const vp = name === 'ddim' ? level1 : level1.map((v) => v / Math.sqrt(1 + sigma1 * sigma1));
      expect(maxAbsDiff(m.calls[1].x, vp)).toBeLessThan(1e-6);
      // And the run ends on the original at the final level (clean for k-samplers).
      expect(maxAbsDiff(out, sampler.noised(init, noise, 8))).toBe(0);
      if (name !== 'ddim') expect(maxAbsDiff(out, init)).toBe(0);
    });
  }

  it('pred_x0 of the exact denoiser approaches the final sample', async () => {
    const preds: Float32Array[] = [];
    const out = await sample({ sampler: 'euler', steps: 10, noise, model, onStep: (i) => void preds.push(i.predX0.slice()) });
    expect(maxAbsDiff(preds[9], out)).toBe(0); // the last Euler step lands on its estimate
    expect(maxAbsDiff(preds[5], out)).toBeLessThan(maxAbsDiff(preds[0], out));
  });
});

describe('cancellation and errors', () => {
  it('stops between steps with CANCELLED', async () => {
    const controller = new AbortController();
    const m = counting(model);
    const err = await rejection(
      sample({
        sampler: 'dpmpp-2m',
        steps: 10,
        noise,
        model: m.fn,
        signal: controller.signal,
        onStep: (info) => {
          if (info.step === 2) controller.abort();
        },
      }),
    );
    expect(err.code).toBe('CANCELLED');
    expect(m.calls.length).toBe(3);
  });

  it('an already-aborted signal runs no step', async () => {
    const m = counting(model);
    const err = await rejection(sample({ sampler: 'ddim', steps: 10, noise, model: m.fn, signal: AbortSignal.abort() }));
    expect(err.code).toBe('CANCELLED');
    expect(m.calls.length).toBe(0);
  });

  it('refuses bad options with INVALID_REQUEST and bad model outputs with SHAPE_MISMATCH', async () => {
    const bad = async (p: Promise<unknown>) => (await rejection(p)).code;
    expect(await bad(sample({ sampler: 'nope' as SamplerName, steps: 10, noise, model }))).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'euler', steps: 0, noise, model }))).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'ddim', steps: 1000, noise, model }))).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'ddim', steps: 10, noise, model, eta: 1 }))).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'euler-a', steps: 10, noise, model }))).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'euler', steps: 10, noise, init: init.subarray(1), strength: 0.5, model }))).toBe(
      'INVALID_REQUEST',
    );
    expect(await bad(sample({ sampler: 'euler', steps: 10, noise, model, strength: 2 }))).toBe('INVALID_REQUEST');
    expect(
      await bad(sample({ sampler: 'euler', steps: 10, noise, model, parameterization: 'x0' as 'eps' })),
    ).toBe('INVALID_REQUEST');
    expect(await bad(sample({ sampler: 'euler', steps: 10, noise, model: () => new Float32Array(3) }))).toBe('SHAPE_MISMATCH');
  });

  it('stochastic samplers are reproducible from the seed and differ across seeds', async () => {
    for (const name of ['euler-a', 'ddim'] as const) {
      const opts = { sampler: name, steps: 10, noise, model, eta: 1 };
      const a = await sample({ ...opts, stepNoise: stepNoise(7, [1, N]) });
      const b = await sample({ ...opts, stepNoise: stepNoise(7, [1, N]) });
      const c = await sample({ ...opts, stepNoise: stepNoise(8, [1, N]) });
      expect(a).toEqual(b);
      expect(maxAbsDiff(a, c)).toBeGreaterThan(0.1);
    }
  });
});
