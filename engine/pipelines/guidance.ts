import type { ModelFn } from '../schedulers/types.ts';
import type { UNetRunner } from '../models/unet/runner.ts';
import type { TextEmbedding } from '../models/clip/textEncoder.ts';

/**
 * The sampler's model callback with classifier-free guidance: one UNet call on the batch
 * [uncond, cond] (the reference's order), then uncond + cfg·(cond − uncond). With cfg = 1
 * the unconditional branch cannot change the result, so only the conditional one runs.
 */
export function guidedModel(unet: UNetRunner, cond: TextEmbedding, uncond: TextEmbedding, cfg: number, latentDims: readonly number[]): ModelFn {
  const [, c, h, w] = latentDims;
  const n = c * h * w;
  if (cfg === 1) {
    return (x, t) => unet.run(x, [1, c, h, w], [t], cond.data, [1, cond.dims[1], cond.dims[2]]);
  }
  const context = new Float32Array(uncond.data.length + cond.data.length);
  context.set(uncond.data, 0);
  context.set(cond.data, uncond.data.length);
  const contextDims = [2, cond.dims[1], cond.dims[2]];
  const batch = new Float32Array(2 * n);
  return async (x, t) => {
    batch.set(x, 0);
    batch.set(x, n);
    const out = await unet.run(batch, [2, c, h, w], [t, t], context, contextDims);
    const guided = new Float32Array(n);
    for (let i = 0; i < n; i++) guided[i] = out[i] + cfg * (out[n + i] - out[i]);
    return guided;
  };
}
