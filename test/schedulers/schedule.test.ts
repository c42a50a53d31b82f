import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { readNpy } from '../../engine/npy/npy.ts';
import {
  SD_SCHEDULE,
  ddimTimesteps,
  makeSchedule,
  scheduleFromLdmConfig,
  sigmaFromAlpha,
  alphaFromSigma,
  stepsForStrength,
} from '../../engine/schedulers/schedule.ts';
import { ddimTables } from '../../engine/schedulers/ddim.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const SCHEDULE_DIR = ['golden', 'sd15-tiny', 'golden', 'ddim', 'schedule'];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return (e as StudioError).code;
  }
  throw new Error('expected a StudioError');
}

describe('noise schedule', () => {
  it('SD defaults: betas run from 0.00085 to 0.012 and ᾱ falls monotonically', () => {
    const s = makeSchedule();
    expect(s.config).toEqual(SD_SCHEDULE);
    expect(s.betas[0]).toBe(0.00085);
    expect(s.betas[999]).toBeCloseTo(0.012, 15);
    for (let t = 1; t < 1000; t++) expect(s.alphasCumprod64[t]).toBeLessThan(s.alphasCumprod64[t - 1]);
    expect(s.alphasCumprod[0]).toBe(Math.fround(0.99915));
  });

  it("'linear' is linear in beta", () => {
    const s = makeSchedule({ betaSchedule: 'linear', linearStart: 1e-4, linearEnd: 2e-2 });
    expect(s.betas[0]).toBe(1e-4);
    expect(s.betas[999]).toBe(2e-2);
    expect(s.betas[500] - s.betas[499]).toBeCloseTo((2e-2 - 1e-4) / 999, 15);
  });

  it("maps ldm's schedule names (ldm 'linear' is sqrt-space)", () => {
    expect(scheduleFromLdmConfig({ linear_start: 0.00085, linear_end: 0.012, timesteps: 1000 })).toEqual(SD_SCHEDULE);
    expect(scheduleFromLdmConfig({ beta_schedule: 'sqrt_linear' }).betaSchedule).toBe('linear');
    expect(codeOf(() => scheduleFromLdmConfig({ beta_schedule: 'cosine' }))).toBe('INVALID_REQUEST');
    expect(codeOf(() => makeSchedule({ timesteps: 1 }))).toBe('INVALID_REQUEST');
    expect(codeOf(() => makeSchedule({ linearStart: 0.5, linearEnd: 0.1 }))).toBe('INVALID_REQUEST');
  });

  it('sigma and alpha convert both ways', () => {
    for (const a of [0.99915, 0.5, 0.0047]) expect(alphaFromSigma(sigmaFromAlpha(a))).toBeCloseTo(a, 14);
  });

  it('strength picks floor(N·s) steps, robust to 0.3·10', () => {
    expect(stepsForStrength(10, 0.3)).toBe(3);
    expect(stepsForStrength(10, 0.7)).toBe(7);
    expect(stepsForStrength(10, 0.75)).toBe(7);
    expect(stepsForStrength(10, 1)).toBe(10);
    expect(stepsForStrength(10, 0)).toBe(0);
    expect(codeOf(() => stepsForStrength(10, 1.1))).toBe('INVALID_REQUEST');
  });

  it('DDIM uniform timesteps: the +1 offset, timestep T dropped where ldm would fail, S > T/2 refused', () => {
    expect(ddimTimesteps(10)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    expect(ddimTimesteps(500).at(-1)).toBe(999);
    expect(ddimTimesteps(3)).toEqual([1, 334, 667]);
    // Exactly the steps asked for where S does not divide T (ldm's list would have 333 entries).
    expect(ddimTimesteps(300)).toHaveLength(300);
    expect(ddimTimesteps(300).slice(-2)).toEqual([895, 898]);
    expect(codeOf(() => ddimTimesteps(501))).toBe('INVALID_REQUEST');
    expect(codeOf(() => ddimTimesteps(1000))).toBe('INVALID_REQUEST');
    expect(codeOf(() => ddimTimesteps(0))).toBe('INVALID_REQUEST');
    expect(codeOf(() => ddimTimesteps(2.5))).toBe('INVALID_REQUEST');
  });
});

describe.skipIf(!hasShared('golden'))('noise schedule against the ldm goldens', () => {
  it('betas and ᾱ in float64 within 1e-12, ᾱ in float32 within 1e-7', async () => {
    const s = makeSchedule();
    const betas = (await readNpy(sharedPath(...SCHEDULE_DIR, 'betas_f64.npy'))).data as Float64Array;
    const ac64 = (await readNpy(sharedPath(...SCHEDULE_DIR, 'alphas_cumprod_f64.npy'))).data as Float64Array;
    const ac32 = (await readNpy(sharedPath(...SCHEDULE_DIR, 'alphas_cumprod_f32.npy'))).data as Float32Array;
    const dBetas = maxAbsDiff(s.betas, betas);
    const dAc64 = maxAbsDiff(s.alphasCumprod64, ac64);
    const dAc32 = maxAbsDiff(s.alphasCumprod, ac32);
    console.info(`schedule max |diff|: betas ${dBetas}, ᾱ f64 ${dAc64}, ᾱ f32 ${dAc32}`);
    expect(dBetas).toBeLessThan(1e-12);
    expect(dAc64).toBeLessThan(1e-12);
    expect(dAc32).toBeLessThan(1e-7);
    // In practice the float32 table is identical, which the bit-exact DDIM loop relies on.
    expect(dAc32).toBe(0);
  });

  it('every entry of ddim_uniform_timesteps.json (the first S of ldm\'s list where S does not divide 1000), and S = 1000 refused', async () => {
    const json = JSON.parse(await readFile(sharedPath(...SCHEDULE_DIR, 'ddim_uniform_timesteps.json'), 'utf8')) as {
      steps: Record<
        string,
        { num_timesteps_returned: number; ddim_timesteps: number[]; alphas?: number[]; alphas_prev?: number[]; error?: string }
      >;
    };
    const s = makeSchedule();
    const entries = Object.entries(json.steps);
    expect(entries.length).toBe(16);
    for (const [key, entry] of entries) {
      const steps = Number(key);
      if (entry.error) {
        // ldm itself fails (timestep 1000 is out of range); we drop that timestep or refuse.
        expect(entry.ddim_timesteps.at(-1)).toBe(1000);
        if (steps > 500) expect(codeOf(() => ddimTimesteps(steps))).toBe('INVALID_REQUEST');
        else expect(ddimTimesteps(steps)).toEqual(entry.ddim_timesteps.filter((t) => t < 1000).slice(0, steps));
        continue;
      }
      // ldm returns more than S timesteps where S does not divide 1000 (S = 30 gives 31); we take exactly S.
      const tables = ddimTables(s, steps);
      expect(tables.timesteps, `S=${steps}`).toEqual(entry.ddim_timesteps.slice(0, steps));
      expect(tables.timesteps.length).toBe(Math.min(steps, entry.num_timesteps_returned));
      expect(maxAbsDiff(tables.alphas, entry.alphas!.slice(0, steps)), `alphas S=${steps}`).toBe(0);
      expect(maxAbsDiff(tables.alphasPrev, entry.alphas_prev!.slice(0, steps)), `alphas_prev S=${steps}`).toBe(0);
    }
    expect(ddimTimesteps(7).length).toBe(7);
    expect(ddimTimesteps(75).length).toBe(75);
  });
});
