import { describe, expect, it } from 'vitest';
import { guidedModel } from '../../engine/pipelines/guidance.ts';
import { loadBundle } from '../../engine/pipelines/modelBundle.ts';
import { readNpy, npyToFloat32 } from '../../engine/npy/npy.ts';
import { sample } from '../../engine/schedulers/sample.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const G = (...p: string[]) => sharedPath('golden', 'sd15-tiny', 'golden', ...p);
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('full DDIM loop through the pipeline pieces (sd15-tiny golden)', () => {
  it.each([
    ['f32', 'steps10', '', 1e-2, 1e-3],
    ['f16', 'steps10', 'from_f16_weights', 1e-2, 1e-3],
  ])('%s checkpoint, %s: final latent and decoded image match the reference', async (dtype, steps, sub, latentTol, imageTol) => {
    const bundle = await loadBundle(sharedPath('golden', 'sd15-tiny', `sd15-tiny.${dtype}.safetensors`));
    const g = (...p: string[]) => (sub ? G(sub, ...p) : G(...p));
    const cond = npyToFloat32(await readNpy(g('ddim', 'cond_context.npy')));
    const uncond = npyToFloat32(await readNpy(g('ddim', 'uncond_context.npy')));
    const xT = npyToFloat32(await readNpy(G('ddim', 'x_T.npy')));
    const dims = [1, 4, 8, 8];
    const model = guidedModel(bundle.denoiser, { context: { data: cond, dims: [1, 77, 64] } }, { context: { data: uncond, dims: [1, 77, 64] } }, 7.5, dims);
    const latent = await sample({ sampler: 'ddim', steps: 10, schedule: bundle.schedule, model, noise: xT });
    const wantLatent = npyToFloat32(await readNpy(g('ddim', steps, 'final_latent.npy')));
    const dl = maxAbs(latent, wantLatent);
    const image = await bundle.vaeDecoder.decode({ data: latent, dims });
    const di = maxAbs(image.data as Float32Array, npyToFloat32(await readNpy(g('ddim', steps, 'final_image.npy'))));
    console.log(`[ddim ${dtype}] final latent max|Δ| ${dl.toExponential(2)}, final image max|Δ| ${di.toExponential(2)}`);
    expect(dl).toBeLessThan(latentTol);
    expect(di).toBeLessThan(imageTol);
  });
});
