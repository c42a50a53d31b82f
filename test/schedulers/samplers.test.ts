import { describe, expect, it } from 'vitest';
import { randn, stepNoise } from '../../engine/random/index.ts';
import { createSampler, sample } from '../../engine/schedulers/sample.ts';
import { makeSchedule, sigmaFromAlpha } from '../../engine/schedulers/schedule.ts';
import { SigmaTable, karrasSigmas } from '../../engine/schedulers/sigmas.ts';
import type { ModelFn, SamplerName, SamplerStep } from '../../engine/schedulers/types.ts';
import { exactFlow, gaussianModel, maxAbsDiff, meanStd, rms } from './gaussianData.ts';

/**
 * Samplers driven by the exact denoiser of Gaussian data x0 ~ N(mu, s²): the output
 * distribution and, for the deterministic samplers, the exact ODE endpoint are known.
 */

const N = 4 * 64 * 64;
const MU = 0.5;
const S = 0.8;
const SAMPLERS: SamplerName[] = ['ddim', 'euler', 'euler-a', 'dpmpp-2m'];
const noise = randn(1, N);
const ancestral = stepNoise(2, [1, N]);

/** The exact probability-flow endpoint of a full deterministic run from `noise`. */
function exactEndpoint(name: SamplerName, steps: number): Float64Array {
  const sigmas = createSampler(name, { steps }).sigmas();
  const from = sigmas[0];
  const to = sigmas[sigmas.length - 1];
  if (name !== 'ddim') return exactFlow(noise.map((v) => v * from), MU, S, from, 0);
  // DDIM works on VP latents: convert to k-diffusion space and back (x_vp = x_k / sqrt(1 + σ²)).
  const xk = noise.map((v) => v * Math.sqrt(1 + from * from));
  return exactFlow(xk, MU, S, from, to).map((v) => v / Math.sqrt(1 + to * to));
}

async function run(name: SamplerName, steps: number, extra: Partial<Parameters<typeof sample>[0]> = {}) {
  return sample({ sampler: name, steps, noise, model: gaussianModel(MU, S), stepNoise: ancestral, ...extra });
}

describe('sampling Gaussian data with its exact denoiser', () => {
  // A run from N(0, 1) cannot land exactly on N(mu, s²): the schedule's last level still
  // holds a little signal (ᾱ_999 = 0.0047), which pure noise lacks. The exact flow from
  // pure noise gives mean mu·(1 − s/sqrt(s² + σ_max²)) ≈ 0.473 and std ≈ 0.799.
  for (const name of SAMPLERS) {
    it(`${name}: 100 steps from pure noise give the data mean and std`, async () => {
      const { mean, std } = meanStd(await run(name, 100));
      console.info(`${name} 100 steps: mean ${mean.toFixed(4)} std ${std.toFixed(4)} (data ${MU}, ${S})`);
      expect(Math.abs(mean - MU)).toBeLessThan(0.04);
      expect(Math.abs(std - S)).toBeLessThan(0.04);
    });
  }

  it('DDIM with eta > 0 still lands on the data distribution', async () => {
    for (const eta of [0.5, 1]) {
      const { mean, std } = meanStd(await run('ddim', 100, { eta }));
      expect(Math.abs(mean - MU)).toBeLessThan(0.04);
      expect(Math.abs(std - S)).toBeLessThan(0.04);
    }
  });

  it('deterministic samplers converge to the exact ODE endpoint as steps grow', async () => {
    for (const name of ['ddim', 'euler', 'dpmpp-2m'] as const) {
      const errors: number[] = [];
      for (const steps of [10, 20, 40, 80]) errors.push(rms(await run(name, steps), exactEndpoint(name, steps)));
      console.info(`${name} rms error at 10/20/40/80 steps: ${errors.map((e) => e.toExponential(2)).join(' ')}`);
      for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]);
      expect(errors.at(-1)).toBeLessThan(name === 'dpmpp-2m' ? 1e-3 : 2e-2);
    }
  });

  it('DPM++ 2M beats Euler at equal steps (same Karras σ), and by order: error ratio > 3 per doubling', async () => {
    const dpmErrors: number[] = [];
    for (const steps of [10, 20, 40]) {
      const exact = exactEndpoint('euler', steps);
      const euler = rms(await run('euler', steps, { sigmaSpacing: 'karras' }), exact);
      const dpm = rms(await run('dpmpp-2m', steps, { sigmaSpacing: 'karras' }), exact);
      const eulerDefault = rms(await run('euler', steps), exactEndpoint('euler', steps));
      console.info(`${steps} steps rms error: Euler ${euler.toExponential(2)} (uniform σ ${eulerDefault.toExponential(2)}), DPM++ 2M ${dpm.toExponential(2)}`);
      expect(dpm).toBeLessThan(euler);
      expect(dpm).toBeLessThan(eulerDefault);
      dpmErrors.push(dpm);
    }
    expect(dpmErrors[0] / dpmErrors[1]).toBeGreaterThan(3);
    expect(dpmErrors[1] / dpmErrors[2]).toBeGreaterThan(3);
  });

  it('v-prediction models give the same samples as ε models', async () => {
    for (const name of SAMPLERS) {
      const eps = await run(name, 20);
      const v = await run(name, 20, { model: gaussianModel(MU, S, 'v'), parameterization: 'v' });
      expect(maxAbsDiff(eps, v), name).toBeLessThan(1e-4);
    }
  });

  it('k-samplers hand the model the VP latent, its timestep and σ', async () => {
    const table = new SigmaTable(makeSchedule());
    for (const name of ['euler', 'euler-a', 'dpmpp-2m'] as const) {
      let first = true;
      await run(name, 5, {
        model: (x, t, sigma, step) => {
          expect(table.tToSigma(t)).toBeCloseTo(sigma, 6);
          if (first) {
            // From pure noise at σ_max the VP input is noise · σ_max / sqrt(σ_max² + 1).
            const scale = sigma / Math.sqrt(sigma * sigma + 1);
            expect(maxAbsDiff(x, noise.map((v) => v * scale))).toBeLessThan(1e-6);
            first = false;
          }
          return gaussianModel(MU, S)(x, t, sigma, step);
        },
      });
    }
  });
});

/** Wraps the exact denoiser, recording the step and timestep of every call. */
function recording(): { model: ModelFn; calls: { step: SamplerStep; t: number }[] } {
  const calls: { step: SamplerStep; t: number }[] = [];
  const inner = gaussianModel(MU, S);
  return { calls, model: (x, t, sigma, step) => (calls.push({ step: { ...step }, t }), inner(x, t, sigma, step)) };
}

describe('the step reaches the model', () => {
  for (const name of SAMPLERS) {
    it(`${name}: every call gets its step index in sampling order and the run's step count`, async () => {
      for (const steps of [1, 7]) {
        const r = recording();
        await run(name, steps, { model: r.model });
        // count is the run's length: its timesteps (ldm's DDIM spacing can give one more than asked).
        const ts = createSampler(name, { steps, stepNoise: ancestral }).timesteps();
        const count = ts.length;
        expect(r.calls.map((c) => c.step)).toEqual(Array.from({ length: count }, (_, index) => ({ index, count })));
        // The index names the step whose timestep the call is evaluated at.
        expect(r.calls.map((c) => c.t)).toEqual(r.calls.map((c) => ts[c.step.index]));
      }
    });

    it(`${name}: img2img runs the last steps of the schedule under their own indices`, async () => {
      const r = recording();
      await sample({ sampler: name, steps: 20, noise, init: noise, strength: 0.5, model: r.model, stepNoise: ancestral });
      const ts = createSampler(name, { steps: 20, stepNoise: ancestral }).timesteps();
      expect(r.calls.map((c) => c.step)).toEqual(Array.from({ length: 10 }, (_, i) => ({ index: 10 + i, count: 20 })));
      expect(r.calls.map((c) => c.t)).toEqual(ts.slice(10));
    });

    it(`${name}: a single sampler.step call passes the step it runs`, async () => {
      const r = recording();
      const sampler = createSampler(name, { steps: 6, stepNoise: ancestral });
      expect(sampler.timesteps().length).toBeGreaterThanOrEqual(6);
      await sampler.step(sampler.initial(noise), 3, r.model);
      expect(r.calls.map((c) => c.step)).toEqual([{ index: 3, count: sampler.timesteps().length }]);
      expect(r.calls[0].t).toBe(sampler.timesteps()[3]);
    });
  }
});

describe('timesteps and σ', () => {
  it('are strictly decreasing for every sampler and step count, within the schedule', () => {
    for (const name of SAMPLERS) {
      for (const steps of [1, 2, 7, 25, 50, 200]) {
        const sampler = createSampler(name, { steps, stepNoise: ancestral });
        const ts = sampler.timesteps();
        const sig = sampler.sigmas();
        expect(sig.length).toBe(ts.length + 1);
        for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeLessThan(ts[i - 1]);
        for (let i = 1; i < sig.length; i++) expect(sig[i]).toBeLessThan(sig[i - 1]);
        for (const t of ts) expect(t >= 0 && t <= 999).toBe(true);
      }
    }
  });

  it('DDIM σ are those of ldm timesteps and end at ᾱ_0; k-samplers end at 0', () => {
    const ac = makeSchedule().alphasCumprod;
    const ddim = createSampler('ddim', { steps: 10 });
    expect(ddim.timesteps()).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(ddim.sigmas()[0]).toBe(sigmaFromAlpha(ac[901]));
    expect(ddim.sigmas()[10]).toBe(sigmaFromAlpha(ac[0]));
    expect(createSampler('euler', { steps: 10 }).sigmas()[10]).toBe(0);
  });

  it('uniform σ sit on timesteps 999 … 0; Karras σ run from σ_max to σ_min with ρ = 7', () => {
    const table = new SigmaTable(makeSchedule());
    const euler = createSampler('euler', { steps: 10 });
    euler.timesteps().forEach((t, i) => expect(t).toBeCloseTo(999 - 111 * i, 6));
    const dpm = createSampler('dpmpp-2m', { steps: 10 });
    const sig = dpm.sigmas();
    expect(sig[0]).toBeCloseTo(table.sigmaMax, 12);
    expect(sig[9]).toBeCloseTo(table.sigmaMin, 12);
    expect(table.sigmaMax).toBeCloseTo(14.6146, 3);
    expect(table.sigmaMin).toBeCloseTo(0.02917, 4);
    // Uniform in σ^(1/ρ).
    const roots = sig.slice(0, 10).map((v) => v ** (1 / 7));
    for (let i = 2; i < 10; i++) expect(roots[i] - roots[i - 1]).toBeCloseTo(roots[1] - roots[0], 10);
    expect(karrasSigmas(1, 0.1, 10)).toEqual([10]);
  });

  it('log-σ interpolation inverts tToSigma and clamps outside the table', () => {
    const table = new SigmaTable(makeSchedule());
    for (const t of [0, 0.5, 1, 261.25, 500, 998.75, 999]) expect(table.sigmaToT(table.tToSigma(t))).toBeCloseTo(t, 9);
    expect(table.sigmaToT(1e-4)).toBe(0);
    expect(table.sigmaToT(100)).toBe(999);
  });
});
