import { StudioError } from '../api/errors.ts';
import { randn, randomSeed, stepNoise } from '../random/randn.ts';
import { sample } from '../schedulers/sample.ts';
import type { ImageRef } from '../api/schemas.ts';
import type { JobContext } from '../jobs/queue.ts';
import type { GenerateParams, StudioContext } from '../studio/context.ts';
import { decodeToPng, previewDataUrl } from './encodeImage.ts';
import { guidedModel } from './guidance.ts';
import { loadBundle, runtimeFromSettings } from './modelBundle.ts';
import { formatParameters } from './parameters.ts';
import { planSize } from './size.ts';

/** Previews decode with the full VAE, so they are only made while that stays cheap. */
const MAX_PREVIEW_LATENT_PIXELS = 32 * 32;

/**
 * Text to image with classifier-free guidance. Image i of a batch uses seed + i, so any
 * image of a batch can be reproduced alone. Progress counts steps over the whole batch.
 */
export async function generate(params: GenerateParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  if (params.tokenMerging && params.tokenMerging.ratio > 0) {
    throw new StudioError('INVALID_REQUEST', 'Token merging is not available in this build of the engine yet; leave it off');
  }
  const settings = await studio.settings.get();
  const bundle = await loadBundle(params.model, runtimeFromSettings(settings));
  job.throwIfCancelled();
  const size = planSize(params.width, params.height);
  const dims = [1, bundle.spec.unet.outChannels, size.latentHeight, size.latentWidth];
  const [cond, uncond] = await bundle.textEncoder.padToSameChunks(
    [await bundle.textEncoder.encodePrompt(params.prompt, bundle.tokenizer), await bundle.textEncoder.encodePrompt(params.negativePrompt, bundle.tokenizer)],
    bundle.tokenizer,
  );
  const model = guidedModel(bundle.unet, cond, uncond, params.cfg, dims);
  const seed = params.seed ?? randomSeed();
  const total = params.steps * params.batchCount;
  const previewEvery = settings.previewEvery;
  const images: ImageRef[] = [];
  for (let i = 0; i < params.batchCount; i++) {
    const imageSeed = seed + i;
    const latent = await sample({
      sampler: params.sampler,
      steps: params.steps,
      schedule: bundle.schedule,
      parameterization: bundle.spec.prediction,
      model,
      noise: randn(imageSeed, dims),
      stepNoise: stepNoise(imageSeed, dims),
      signal: job.signal,
      onStep: async (info) => {
        const wantPreview = previewEvery > 0 && info.done % previewEvery === 0 && info.done < info.count && dims[2] * dims[3] <= MAX_PREVIEW_LATENT_PIXELS;
        job.progress(i * params.steps + info.done, total, wantPreview ? await previewDataUrl(bundle, info.predX0, dims) : undefined);
      },
    });
    job.throwIfCancelled();
    const png = await decodeToPng(bundle, latent, dims);
    const parameters = formatParameters({
      prompt: params.prompt,
      negativePrompt: params.negativePrompt,
      steps: params.steps,
      sampler: params.sampler,
      cfg: params.cfg,
      seed: imageSeed,
      width: size.width,
      height: size.height,
      model: bundle.name,
    });
    images.push(studio.results.add({ png, width: size.width, height: size.height, seed: imageSeed, parameters }));
  }
  return images;
}
