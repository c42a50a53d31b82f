import sharp from 'sharp';
import type { ImageRef } from '../api/schemas.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import { rgbToTensor, tensorToRgb } from '../image/tensor.ts';
import type { InpaintParams, StudioContext } from '../studio/context.ts';
import { imageSizing } from './size.ts';
import { encodeLatent, prepareImage } from './inputImage.ts';
import { loadMask, pasteBack, type InpaintMask } from './mask.ts';
import { loadBundle, runtimeFromSettings, type ModelBundle } from './modelBundle.ts';
import { withModelGuidance } from './modelGuidance.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { resultMetadata } from './recipe.ts';
import { runSampling } from './sampling.ts';
import { withLoraRecipe, withRequestLoras } from './loras.ts';
import { tokenMergingParameters } from './tokenMerging.ts';
import { denoiserForRun } from './runControllers.ts';
import { imagePromptParameters } from './imagePrompts.ts';

/** A 9-channel inpainting UNet's extra input: [mask (1), masked-image latent (4)] at latent size. */
async function inpaintingChannels(bundle: ModelBundle, image: { data: Uint8Array; width: number; height: number }, mask: InpaintMask): Promise<Float32Array> {
  const tensor = rgbToTensor(image, 'minus1to1');
  // Masked pixels become 0 in [-1, 1] space, as the inpainting models were trained.
  const t = tensor.data as Float32Array;
  const plane = mask.binary.length;
  for (let i = 0; i < plane; i++) if (mask.binary[i]) for (let c = 0; c < 3; c++) t[c * plane + i] = 0;
  const maskedLatent = await encodeLatent(bundle, tensor);
  const out = new Float32Array(mask.latent.length + maskedLatent.length);
  out.set(mask.latent, 0);
  out.set(maskedLatent, mask.latent.length);
  return out;
}

/**
 * Regenerates the painted region and keeps everything else. Regular UNets: every step the
 * latent outside the mask is replaced by the original noised to the current level; 9-channel
 * inpainting UNets get the mask and masked image as input instead. Either way the original
 * pixels are pasted back outside the (inward-feathered) mask, so nothing outside changes.
 */
export async function inpaint(request: InpaintParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  const settings = await studio.settings.get();
  const loras = await withRequestLoras(await loadBundle(request.model, runtimeFromSettings(settings), request.vae), request, settings);
  const { bundle } = loras;
  const params = withModelGuidance(request, bundle.spec);
  const image = await prepareImage(params.image, studio.results, imageSizing(bundle.spec), params.width, params.height);
  const { size } = image;
  const mask = await loadMask(params.mask, studio.results, size, params.maskFeather);
  const dims = [1, bundle.denoiser.latentChannels, size.latentHeight, size.latentWidth];
  const init = await encodeLatent(bundle, image.tensor);
  const nineChannel = bundle.spec.inpainting;
  const extraChannels = nineChannel ? await inpaintingChannels(bundle, image.rgb, mask) : undefined;
  const plane = dims[2] * dims[3];
  const model = { name: bundle.name, hash: await modelHash(bundle.path) };
  // The image prompt acts only inside the mask: outside it the latent is reset every step and the original pasted back.
  const denoiser = await denoiserForRun(bundle, settings, studio.results, params, { mask: mask.latent });
  job.throwIfCancelled();
  return runSampling({
    bundle, params, dims, job, settings, init, strength: params.strength, extraChannels, denoiser,
    onStep: nineChannel
      ? undefined
      : (info, noise) => {
          const original = info.noised(init, noise);
          for (let c = 0; c < dims[1]; c++) {
            for (let i = 0; i < plane; i++) {
              const j = c * plane + i;
              if (!mask.latent[i]) info.x[j] = original[j];
            }
          }
        },
    finish: async (latent, seed) => {
      const decoded = await bundle.vaeDecoder.decode({ data: latent, dims });
      const generated = tensorToRgb(decoded, 'minus1to1');
      const merged = pasteBack(generated.data, image.rgb.data, mask.blend);
      const png = await sharp(Buffer.from(merged), { raw: { width: size.width, height: size.height, channels: 3 } }).png().toBuffer();
      const extra = { 'Denoising strength': params.strength, 'Mask blur': params.maskFeather, ...tokenMergingParameters(params.tokenMerging), ...imagePromptParameters(params) };
      const meta = withLoraRecipe(resultMetadata('jobs.inpaint', params, { seed, width: size.width, height: size.height }, model, { ...extra, ...loras.parameters }), loras.used);
      return studio.results.add({ png, width: size.width, height: size.height, seed, ...meta });
    },
  });
}
