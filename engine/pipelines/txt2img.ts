import { StudioError } from '../api/errors.ts';
import type { ImageRef } from '../api/schemas.ts';
import type { JobContext } from '../jobs/queue.ts';
import type { GenerateParams, StudioContext } from '../studio/context.ts';
import { decodeToPng } from './encodeImage.ts';
import { loadBundle, runtimeFromSettings } from './modelBundle.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { resultMetadata } from './recipe.ts';
import { runSampling } from './sampling.ts';
import { planSize } from './size.ts';

export function refuseTokenMerging(params: Pick<GenerateParams, 'tokenMerging'>): void {
  if (params.tokenMerging && params.tokenMerging.ratio > 0) {
    throw new StudioError('INVALID_REQUEST', 'Token merging is not available in this build of the engine yet; leave it off');
  }
}

/** Text to image with classifier-free guidance. */
export async function generate(params: GenerateParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  refuseTokenMerging(params);
  const settings = await studio.settings.get();
  const bundle = await loadBundle(params.model, runtimeFromSettings(settings));
  job.throwIfCancelled();
  const size = planSize(params.width ?? bundle.spec.nativeSize, params.height ?? bundle.spec.nativeSize);
  const dims = [1, bundle.spec.unet.outChannels, size.latentHeight, size.latentWidth];
  const model = { name: bundle.name, hash: await modelHash(bundle.path) };
  return runSampling({
    bundle, params, dims, job, settings,
    finish: async (latent, seed) => {
      const png = await decodeToPng(bundle, latent, dims);
      const meta = resultMetadata('jobs.generate', params, { seed, width: size.width, height: size.height }, model);
      return studio.results.add({ png, width: size.width, height: size.height, seed, ...meta });
    },
  });
}
