import { describe, expect, it } from 'vitest';
import { readNpy, npyToFloat32 } from '../../engine/npy/npy.ts';
import { timestepEmbedding } from '../../engine/schedulers/timestepEmbedding.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

describe('timestep embedding', () => {
  it('is [cos, sin] of t·exp(−ln(10000)·i/half); t = 0 gives ones then zeros', () => {
    const e = timestepEmbedding([0, 10], 8);
    expect(Array.from(e.subarray(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const freq1 = Math.exp(-Math.log(10000) / 4);
    expect(e[8 + 1]).toBeCloseTo(Math.cos(10 * freq1), 6);
    expect(e[8 + 4 + 1]).toBeCloseTo(Math.sin(10 * freq1), 6);
  });

  it('flipSinToCos=false puts sin first; odd dims get a zero column; freqShift divides by half − shift', () => {
    const flipped = timestepEmbedding([3], 4, { flipSinToCos: false });
    expect(flipped[0]).toBeCloseTo(Math.sin(3), 6);
    expect(flipped[2]).toBeCloseTo(Math.cos(3), 6);
    const odd = timestepEmbedding([5, 6], 5);
    expect(odd.length).toBe(10);
    expect(odd[4]).toBe(0);
    expect(odd[9]).toBe(0);
    const shifted = timestepEmbedding([7], 4, { freqShift: 1 });
    expect(shifted[1]).toBeCloseTo(Math.cos(7 * Math.exp(-Math.log(10000))), 6);
    expect(() => timestepEmbedding([1], 1)).toThrow(/dim/);
  });
});

describe.skipIf(!hasShared('golden'))('timestep embedding against the golden', () => {
  it('matches sinusoidal.npy for t = [0, 1, 261, 500, 999] within 1e-4', async () => {
    const dir = sharedPath('golden', 'sd15-tiny', 'golden', 'timestep_embedding');
    const t = npyToFloat32(await readNpy(`${dir}/t.npy`));
    const golden = await readNpy(`${dir}/sinusoidal.npy`);
    expect(golden.shape).toEqual([5, 32]);
    const ours = timestepEmbedding(t, 32);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - (golden.data as Float32Array)[i]));
    console.info(`timestep embedding max |diff| ${maxDiff}`);
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
