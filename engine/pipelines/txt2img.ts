import type { ImageRef } from '../api/schemas.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import type { GenerateParams, StudioContext } from '../studio/context.ts';
import { decodeToPng } from './encodeImage.ts';
import { loadBundle, runtimeFromSettings } from './modelBundle.ts';
import { withModelGuidance } from './modelGuidance.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { resultMetadata } from './recipe.ts';
import { runSampling } from './sampling.ts';
import { withLoraRecipe, withRequestLoras } from './loras.ts';
import { planModelSize } from './size.ts';
import { tokenMergingParameters } from './tokenMerging.ts';
import { denoiserForRun } from './runControllers.ts';
import { imagePromptParameters } from './imagePrompts.ts';

/** Text to image with classifier-free guidance. */
export async function generate(request: GenerateParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  const settings = await studio.settings.get();
  const loras = await withRequestLoras(await loadBundle(request.model, runtimeFromSettings(settings), request.vae), request, settings);
  const { bundle } = loras;
  const params = withModelGuidance(request, bundle.spec);
  job.throwIfCancelled();
  const size = planModelSize(bundle.spec, params.width, params.height);
  const dims = [1, bundle.denoiser.latentChannels, size.latentHeight, size.latentWidth];
  const model = { name: bundle.name, hash: await modelHash(bundle.path) };
  const denoiser = await denoiserForRun(bundle, settings, studio.results, params);
  return runSampling({
    bundle, params, dims, job, settings, denoiser,
    finish: async (latent, seed) => {
      const png = await decodeToPng(bundle, latent, dims);
      const meta = withLoraRecipe(resultMetadata('jobs.generate', params, { seed, width: size.width, height: size.height }, model, { ...tokenMergingParameters(params.tokenMerging), ...imagePromptParameters(params), ...loras.parameters }), loras.used);
      return studio.results.add({ png, width: size.width, height: size.height, seed, ...meta });
    },
  });
}
