import type { ImageRef } from '../api/schemas.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import type { Img2ImgParams, StudioContext } from '../studio/context.ts';
import { decodeToPng } from './encodeImage.ts';
import { imageSizing } from './size.ts';
import { encodeLatent, prepareImage } from './inputImage.ts';
import { loadBundle, runtimeFromSettings } from './modelBundle.ts';
import { withModelGuidance } from './modelGuidance.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { resultMetadata } from './recipe.ts';
import { runSampling } from './sampling.ts';
import { withLoraRecipe, withRequestLoras } from './loras.ts';
import { tokenMergingParameters } from './tokenMerging.ts';
import { denoiserForRun } from './runControllers.ts';
import { imagePromptParameters } from './imagePrompts.ts';

/** Image to image: the input's latent noised to `strength` of the schedule, then sampled back. */
export async function img2img(request: Img2ImgParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  const settings = await studio.settings.get();
  const loras = await withRequestLoras(await loadBundle(request.model, runtimeFromSettings(settings), request.vae), request, settings);
  const { bundle } = loras;
  const params = withModelGuidance(request, bundle.spec);
  const image = await prepareImage(params.image, studio.results, imageSizing(bundle.spec), params.width, params.height);
  const { size } = image;
  const dims = [1, bundle.denoiser.latentChannels, size.latentHeight, size.latentWidth];
  const init = await encodeLatent(bundle, image.tensor);
  const model = { name: bundle.name, hash: await modelHash(bundle.path) };
  const denoiser = await denoiserForRun(bundle, settings, studio.results, params);
  job.throwIfCancelled();
  return runSampling({
    bundle, params, dims, job, settings, init, strength: params.strength, denoiser,
    finish: async (latent, seed) => {
      const png = await decodeToPng(bundle, latent, dims);
      const meta = withLoraRecipe(resultMetadata('jobs.img2img', params, { seed, width: size.width, height: size.height }, model, { 'Denoising strength': params.strength, ...tokenMergingParameters(params.tokenMerging), ...imagePromptParameters(params), ...loras.parameters }), loras.used);
      return studio.results.add({ png, width: size.width, height: size.height, seed, ...meta });
    },
  });
}
