import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostTensor, SessionCache } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { runTiled, shouldTile, tileStarts } from '../../../engine/models/vae/tiling.ts';
import { VAEDecoder, vaeFromSpec } from '../../../engine/models/vae/vae.ts';
import { randomArray } from '../../graph/reference.ts';
import { SHARED_DIR, hasShared, sharedPath } from '../../support/shared.ts';

/** A pointwise "decoder": every latent pixel becomes an 8x8 block of f(value) per channel. */
async function pointwiseDecode(t: HostTensor): Promise<HostTensor> {
  const [B, C, h, w] = t.dims;
  const x = t.data as Float32Array;
  const out = new Float32Array(B * C * h * 8 * w * 8);
  for (let p = 0; p < B * C; p++) for (let y = 0; y < h * 8; y++) for (let xx = 0; xx < w * 8; xx++) {
    out[(p * h * 8 + y) * w * 8 + xx] = Math.tanh(x[(p * h + (y >> 3)) * w + (xx >> 3)]);
  }
  return { data: out, dims: [B, C, h * 8, w * 8] };
}

describe('tiling arithmetic', () => {
  it('tile starts cover the length with at least the requested overlap', () => {
    expect(tileStarts(40, 64, 16)).toEqual([0]);
    for (const [L, T, O] of [[40, 24, 8], [97, 64, 16], [200, 64, 16], [65, 64, 16]]) {
      const s = tileStarts(L, T, O);
      expect(s[0]).toBe(0);
      expect(s[s.length - 1] + T).toBe(L);
      for (let i = 1; i < s.length; i++) expect(s[i - 1] + T - s[i]).toBeGreaterThanOrEqual(O);
    }
    expect(shouldTile(96, 96)).toBe(false);
    expect(shouldTile(97, 40)).toBe(true);
    expect(shouldTile(40, 40, { mode: 'always', tileSize: 32 })).toBe(true);
  });

  it('blending weights sum to one: a pointwise network gives the untiled result exactly', async () => {
    const z = { data: randomArray(2 * 3 * 37 * 53, 3, 2), dims: [2, 3, 37, 53] };
    const whole = await pointwiseDecode(z);
    const tiled = await runTiled(z, pointwiseDecode, { tileSize: 16, overlap: 6, inScale: 1, outScale: 8 });
    expect(tiled.dims).toEqual(whole.dims);
    let max = 0;
    for (let i = 0; i < whole.data.length; i++) max = Math.max(max, Math.abs((tiled.data as Float32Array)[i] - (whole.data as Float32Array)[i]));
    expect(max).toBeLessThan(1e-6);
  });
});

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('tiled VAE decode on the tiny model', () => {
  let cacheDir: string;
  const cache = new SessionCache({ intraOpNumThreads: 2 });
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'vae-tiling-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('≈ the untiled decode (a few % of the range, also away from seams), with no step where tiles meet', async () => {
    const spec = (await detectModel(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'))) as StableDiffusionSpec;
    const runtime = { provider: 'cpu' as const, placement: { cacheDir, readOnlyDirs: [SHARED_DIR] } };
    const [h, w, T, O] = [40, 40, 24, 8];
    const z = { data: randomArray(4 * h * w, 5), dims: [1, 4, h, w] };
    const whole = (await new VAEDecoder(vaeFromSpec(spec), { cache, runtime, tiling: { mode: 'never' } }).decode(z)).data as Float32Array;
    const tiled = (await new VAEDecoder(vaeFromSpec(spec), { cache, runtime, tiling: { mode: 'always', tileSize: T, overlap: O } }).decode(z)).data as Float32Array;
    const [H, W] = [h * 8, w * 8];
    const starts = tileStarts(h, T, O); // [0, 16]: overlap band is latent 16..24 on both axes
    expect(starts).toEqual([0, 16]);
    const inBand = (p: number) => p >= 16 * 8 - 32 && p < 24 * 8 + 32; // overlap plus 4 latent pixels each side
    let range = 0, max = 0, sum = 0, maxAway = 0;
    const colStep = new Float64Array(W);
    for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const k = (c * H + y) * W + x;
      const d = tiled[k] - whole[k];
      range = Math.max(range, Math.abs(whole[k]));
      max = Math.max(max, Math.abs(d));
      sum += Math.abs(d);
      if (!inBand(y) && !inBand(x)) maxAway = Math.max(maxAway, Math.abs(d));
      if (x > 0) colStep[x] += Math.abs(d - (tiled[k - 1] - whole[k - 1])) / (3 * H);
    }
    const mean = sum / whole.length;
    const steps = [...colStep.slice(1)].sort((a, b) => a - b);
    const median = steps[steps.length >> 1];
    const worstStep = steps[steps.length - 1];
    console.info(`[vae tiling] |image| ≤ ${range.toFixed(2)}; tiled vs whole: max ${max.toFixed(3)}, mean ${mean.toFixed(4)}, max away from seams ${maxAway.toFixed(3)}; error step across columns: worst ${worstStep.toFixed(4)} vs median ${median.toFixed(4)}`);
    // Per-tile GroupNorm statistics and tile-local attention make tiles differ slightly from a
    // whole pass (as in every overlap-and-blend tiled VAE); the limits keep that at ~1 % level.
    expect(mean).toBeLessThan(0.01 * range);
    expect(max).toBeLessThan(0.1 * range);
    expect(maxAway).toBeLessThan(0.05 * range);
    // A seam shows as a column where the error jumps; blended tiles have none that stands out.
    expect(worstStep).toBeLessThan(3 * median);
  });
});
