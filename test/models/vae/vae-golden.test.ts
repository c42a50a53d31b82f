import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { latentLogvar, latentMean, toDiffusionLatent } from '../../../engine/models/vae/latent.ts';
import { VAEDecoder, VAEEncoder, type VAERunOptions, vaeFromSpec } from '../../../engine/models/vae/vae.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { SHARED_DIR, hasShared, sharedPath } from '../../support/shared.ts';
import { maxAbsDiff } from '../../graph/reference.ts';

const TINY = ['golden', 'sd15-tiny'];
const load = async (...p: string[]) => {
  const a = await readNpy(sharedPath(...TINY, 'golden', ...p));
  return { data: npyToFloat32(a), dims: a.shape };
};

describe.skipIf(!hasShared(...TINY))('KL-f8 VAE parity with the ldm goldens (sd15-tiny)', () => {
  let cacheDir: string;
  let cache: SessionCache;
  let opts: VAERunOptions;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'vae-golden-'));
    cache = new SessionCache({ intraOpNumThreads: 2 });
    opts = { cache, runtime: { provider: 'cpu', placement: { cacheDir, readOnlyDirs: [SHARED_DIR] } } };
  });
  afterAll(async () => {
    await cache.clear();
    await rm(cacheDir, { recursive: true, force: true });
  });

  for (const [label, file, golden] of [
    ['F32', 'sd15-tiny.f32.safetensors', []],
    ['F16', 'sd15-tiny.f16.safetensors', ['from_f16_weights']],
  ] as const) {
    describe(`${label} checkpoint`, () => {
      let spec: StableDiffusionSpec;
      beforeAll(async () => {
        spec = (await detectModel(sharedPath(...TINY, file))) as StableDiffusionSpec;
      });

      it('decoder: z (diffusion space) → image within 1e-3', async () => {
        const z = await load('vae_decoder', 'z.npy'); // inputs are shared; outputs differ per weight set
        const ref = await load(...golden, 'vae_decoder', 'image.npy');
        const out = await new VAEDecoder(vaeFromSpec(spec), opts).decode(z);
        expect(out.dims).toEqual(ref.dims);
        const diff = maxAbsDiff(out.data as Float32Array, ref.data);
        console.info(`[vae ${label}] decoder max abs diff ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-3);
      });

      it('encoder: image → moments within 1e-3; mean, clamped logvar and scaled latent follow', async () => {
        const image = await load('vae_encoder', 'image.npy');
        const ref = await load(...golden, 'vae_encoder', 'moments.npy');
        const moments = await new VAEEncoder(vaeFromSpec(spec), opts).encode(image);
        expect(moments.dims).toEqual(ref.dims);
        const diff = maxAbsDiff(moments.data as Float32Array, ref.data);
        console.info(`[vae ${label}] encoder max abs diff ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-3);
        const mean = latentMean(moments);
        expect(maxAbsDiff(mean.data as Float32Array, (await load(...golden, 'vae_encoder', 'mean.npy')).data)).toBeLessThan(1e-3);
        expect(maxAbsDiff(latentLogvar(moments).data as Float32Array, (await load(...golden, 'vae_encoder', 'logvar.npy')).data)).toBeLessThan(1e-3);
        const scaled = toDiffusionLatent(mean, spec.scaleFactor);
        expect(maxAbsDiff(scaled.data as Float32Array, (await load(...golden, 'vae_encoder', 'latent_scaled.npy')).data)).toBeLessThan(2e-4);
      });
    });
  }
});
