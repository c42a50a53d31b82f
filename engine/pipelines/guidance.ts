import type { ModelFn } from '../schedulers/types.ts';
import { type Denoiser, prediction } from '../denoiser/denoiser.ts';
import type { TextEmbedding } from '../models/clip/textEncoder.ts';

/**
 * The sampler's model callback with classifier-free guidance: one denoiser call on the batch
 * [uncond, cond] (the reference's order), then uncond + cfg·(cond − uncond). With cfg = 1
 * the unconditional branch cannot change the result, so only the conditional one runs.
 * `extra` are channels appended to the latent for every call (a 9-channel inpainting model's
 * mask and masked-image latent, [1, E, h, w]).
 */
export function guidedModel(
  denoiser: Denoiser,
  cond: TextEmbedding,
  uncond: TextEmbedding,
  cfg: number,
  latentDims: readonly number[],
  extra?: Float32Array,
): ModelFn {
  const [, c, h, w] = latentDims;
  const n = c * h * w;
  const e = extra ? extra.length : 0;
  const inChannels = c + e / (h * w);
  const batches = cfg === 1 ? 1 : 2;
  const context = batches === 1 ? cond.data : new Float32Array(uncond.data.length + cond.data.length);
  if (batches === 2) {
    context.set(uncond.data, 0);
    context.set(cond.data, uncond.data.length);
  }
  const contextDims = [batches, cond.dims[1], cond.dims[2]];
  const input = new Float32Array(batches * (n + e));
  return async (x, t, _sigma, step) => {
    for (let b = 0; b < batches; b++) {
      input.set(x, b * (n + e));
      if (extra) input.set(extra, b * (n + e) + n);
    }
    const result = await denoiser.run({ data: input, dims: [batches, inChannels, h, w] }, batches === 1 ? [t] : [t, t], { context: { data: context, dims: contextDims } }, step);
    const out = prediction(denoiser, result);
    if (batches === 1) return out;
    const guided = new Float32Array(n);
    for (let i = 0; i < n; i++) guided[i] = out[i] + cfg * (out[n + i] - out[i]);
    return guided;
  };
}
