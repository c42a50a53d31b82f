import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadSDXLTextEncoders, zeroTextEmbedding } from '../../../engine/models/clip/sdxlTextEncoder.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import { loadUNet } from '../../../engine/models/unet/runner.ts';
import { microExtras } from '../../../engine/models/unet/vectorConditioning.ts';
import { VAEDecoder, vaeFromSpec } from '../../../engine/models/vae/vae.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, golden, goldenNpy } from './fixture.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });

/**
 * sgm's 4-step EulerEDMSampler with VanillaCFG 5 on sdxl-tiny, from the prompt's token ids to
 * the decoded image: both towers, the zeroed unconditional branch, y from the pooled vector
 * and the sizes, the UNet on [uncond, cond] and the VAE. The sampler arithmetic is written
 * out here (the engine's SDXL sampling belongs to the pipelines); σ comes from the golden
 * denoiser table at the golden timesteps.
 */
describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('SDXL 4-step Euler (EDM) loop with CFG 5 on sdxl-tiny', () => {
  afterAll(() => cache.clear());

  it('final latent and image match from_f16_weights (F32 limits) and the F32-weight goldens (F16 limits)', async () => {
    const spec = await detectModel(SDXL_TINY_F16);
    if (spec.family !== 'sdxl') throw new Error('expected SDXL');
    const runtime = { threads: 1, cache };
    const text = await loadSDXLTextEncoders(spec, runtime);
    const unet = await loadUNet(spec, { runtime, cache });
    const row = async (name: string) => ((await goldenNpy(`text/${name}.npy`)).data as BigInt64Array).slice(0, 77);
    const cond = await text.encodeIds(await row('input_ids_clip_l'), await row('input_ids_clip_g'));
    const uncond = zeroTextEmbedding(cond);
    const sizes = { original_size: [64, 96], crop_coords_top_left: [0, 0], target_size: [64, 96] };

    const table = await golden('schedule/denoiser_sigmas_f32.npy');
    const timesteps = [999, 749, 499, 249];
    const sigmas = [...timesteps.map((t) => table[t]), 0];
    const xT = await golden('euler/x_T.npy');
    const n = xT.length;
    let x = xT.map((v) => v * Math.sqrt(1 + sigmas[0] ** 2));
    const context = new Float32Array([...uncond.context.data, ...cond.context.data]);
    const pooled = new Float32Array([...uncond.pooled.data, ...cond.pooled.data]);
    for (let i = 0; i < timesteps.length; i++) {
      const s = sigmas[i];
      const cIn = 1 / Math.sqrt(s * s + 1);
      const xin = new Float32Array(2 * n);
      for (let j = 0; j < n; j++) xin[j] = xin[n + j] = x[j] * cIn;
      const out = await unet.run({ data: xin, dims: [2, 4, 8, 12] }, [timesteps[i], timesteps[i]], {
        context: { data: context, dims: [2, 77, 80] },
        pooled: { data: pooled, dims: [2, 40] },
        extra: microExtras([sizes, sizes]),
      });
      const next = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const du = x[j] - s * out.output[j];
        const dc = x[j] - s * out.output[n + j];
        const guided = du + 5 * (dc - du);
        next[j] = x[j] + (sigmas[i + 1] - s) * ((x[j] - guided) / s);
      }
      x = next;
    }
    const image = await new VAEDecoder(vaeFromSpec(spec), { cache, runtime: { intraOpNumThreads: 1 } }).decode({ data: x, dims: [1, 4, 8, 12] });
    const checks = [
      ['final latent vs from_f16_weights', maxAbsDiff(x, await golden('euler/steps4/final_latent.npy', true)), 1e-2],
      ['final image vs from_f16_weights', maxAbsDiff(image.data as Float32Array, await golden('euler/steps4/final_image.npy', true)), 1e-3],
      ['final latent vs F32-weight goldens', maxAbsDiff(x, await golden('euler/steps4/final_latent.npy')), 0.5],
      ['final image vs F32-weight goldens', maxAbsDiff(image.data as Float32Array, await golden('euler/steps4/final_image.npy')), 5e-2],
    ] as const;
    for (const [what, d, limit] of checks) {
      console.info(`[sdxl euler] ${what}: max abs ${d.toExponential(2)}`);
      expect(d).toBeLessThan(limit);
    }
  });
});
