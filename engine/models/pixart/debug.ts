import { namedInput } from '../../npy/namedInput.ts';
import { type NpyArray, npyToFloat32 } from '../../npy/npy.ts';
import { openPixArt } from './open.ts';
import { loadPixArt } from './runner.ts';

const need = (inputs: Map<string, NpyArray>, name: string, rank: number) => namedInput('dit', inputs, name, rank);

/**
 * `latent-studio debug dit`: one PixArt transformer evaluation on .npy inputs (golden layout,
 * see golden/pixart-tiny/README.md). Micro-condition models (α-1024-MS) get the resolution
 * and aspect ratio of the latent's own image (8h × 8w).
 */
export const ditDebugModule = {
  description: 'PixArt transformer (DiT): raw output [B, 8, h, w] (channels 0-3 eps, 4-7 learned sigma) for one evaluation',
  inputs: [
    { name: 'x', meaning: 'float32 [B, 4, h, w] noisy latent (h, w multiples of the patch size)' },
    { name: 't', meaning: 'int64 or float [B] DDPM timesteps (0..999)' },
    { name: 'context', meaning: 'float32 [B, L, caption_channels] raw T5 states (the module projects them)' },
    { name: 'mask', meaning: 'int64 [B, L] caption mask: 1 = token or EOS, 0 = padding' },
  ],
  async load(checkpointPath: string, configPath?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await openPixArt(checkpointPath, configPath ? { configPath } : {});
    const dit = await loadPixArt(spec);
    return async (inputs) => {
      const x = need(inputs, 'x', 4);
      const t = need(inputs, 't', 1);
      const context = need(inputs, 'context', 3);
      const mask = need(inputs, 'mask', 2);
      const steps = Array.from(t.data as ArrayLike<number | bigint>, Number);
      const output = await dit.evaluate({ data: npyToFloat32(x), dims: x.shape }, steps, { data: npyToFloat32(context), dims: context.shape }, mask.data as ArrayLike<number | bigint>);
      return { dtype: '<f4', shape: [x.shape[0], spec.config.outChannels, x.shape[2], x.shape[3]], data: output };
    };
  },
};
