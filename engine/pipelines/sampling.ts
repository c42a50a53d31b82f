import type { ImageRef, Settings } from '../api/schemas.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import { randn, randomSeed, stepNoise } from '../random/randn.ts';
import { sample } from '../schedulers/sample.ts';
import type { StepInfo } from '../schedulers/types.ts';
import type { GenerateParams, StudioContext } from '../studio/context.ts';
import { guidedModel } from './guidance.ts';
import type { ModelBundle } from './modelBundle.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import { previewDecoderFor } from './previewDecoder.ts';

export interface SamplingRun {
  bundle: ModelBundle;
  /** With the guidance scale resolved (withModelGuidance). */
  params: Pick<GenerateParams, 'prompt' | 'negativePrompt' | 'steps' | 'seed' | 'sampler' | 'batchCount'> & { cfg: number };
  /** Latent dims [1, C, h, w]. */
  dims: number[];
  job: JobContext;
  settings: Settings;
  /** img2img / inpaint start: the clean diffusion-space latent and the fraction of steps to run. */
  init?: Float32Array;
  strength?: number;
  /** The denoiser to sample with when it is not the bundle's plain one (token merging, image prompts). */
  denoiser?: Denoiser;
  /** Channels appended to the latent at every denoiser call (9-channel inpainting). */
  extraChannels?: Float32Array;
  /** After every step, e.g. blending with the noised original; gets the run's start noise. */
  onStep?: (info: StepInfo, noise: Float32Array) => void;
  /** Turns the final latent of image i into a stored result. */
  finish(latent: Float32Array, seed: number): Promise<ImageRef>;
}

/**
 * The loop every pipeline shares: encode the prompts once, then per image of the batch
 * draw its noise from seed + i, sample with guidance, report progress (with previews every
 * few steps) and hand the latent over. Image i can be reproduced alone with seed + i.
 */
export async function runSampling(run: SamplingRun, _studio?: StudioContext): Promise<ImageRef[]> {
  const { bundle, params, dims, job } = run;
  const { textEncoder, tokenizer } = bundle;
  const [cond, uncond] = await textEncoder.padToSameChunks(
    [await textEncoder.encodePrompt(params.prompt, tokenizer), await textEncoder.encodePrompt(params.negativePrompt, tokenizer)],
    tokenizer,
  );
  job.throwIfCancelled();
  const model = guidedModel(run.denoiser ?? bundle.denoiser, cond, uncond, params.cfg, dims, run.extraChannels);
  const seed = params.seed ?? randomSeed();
  const strength = run.init ? (run.strength ?? 1) : 1;
  const previewEvery = run.settings.previewEvery;
  const previews = previewEvery > 0 ? await previewDecoderFor(bundle, dims, run.settings.modelsDir) : null;
  const images: ImageRef[] = [];
  for (let i = 0; i < params.batchCount; i++) {
    const imageSeed = seed + i;
    const noise = randn(imageSeed, dims);
    const latent = await sample({
      sampler: params.sampler,
      steps: params.steps,
      schedule: bundle.schedule,
      parameterization: bundle.spec.prediction,
      model,
      noise,
      ...(run.init ? { init: run.init, strength } : {}),
      stepNoise: stepNoise(imageSeed, dims),
      signal: job.signal,
      onStep: async (info) => {
        run.onStep?.(info, noise);
        const wantPreview = previews !== null && info.done % previewEvery === 0 && info.done < info.count;
        // info.count, not params.steps: ldm's DDIM spacing and img2img strength change the count.
        job.progress(i * info.count + info.done, info.count * params.batchCount, wantPreview ? await previews.decode(info.predX0, dims) : undefined);
      },
    });
    job.throwIfCancelled();
    images.push(await run.finish(latent, imageSeed));
  }
  return images;
}
