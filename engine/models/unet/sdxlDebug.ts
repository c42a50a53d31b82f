import { StudioError } from '../../api/errors.ts';
import type { Tensor } from '../../denoiser/denoiser.ts';
import { type NpyArray, npyToFloat32 } from '../../npy/npy.ts';
import { sdxlSpecFor } from '../clip/sdxlDebug.ts';
import { namedInput } from '../../npy/namedInput.ts';
import { loadUNet } from './runner.ts';
import { SDXL_EXTRA, vectorConditioning } from './vectorConditioning.ts';

const need = (inputs: Map<string, NpyArray>, name: string, rank: number) => namedInput('sdxl-unet', inputs, name, rank);

function float(inputs: Map<string, NpyArray>, name: string, rank: number): Tensor {
  const a = need(inputs, name, rank);
  return { data: npyToFloat32(a), dims: a.shape };
}

/** `debug sdxl-unet`: one evaluation of the SDXL UNet on x, t, context and the vector y (golden layout). */
export const sdxlUNetDebugModule = {
  description: 'SDXL UNet: raw model output (eps) for one evaluation with the vector conditioning y',
  inputs: [
    { name: 'x', meaning: 'float32 [B, 4, h, w] noisy latent (9 channels for inpainting)' },
    { name: 't', meaning: 'int64 or float [B] DDPM timesteps (0..999)' },
    { name: 'context', meaning: 'float32 [B, 77·chunks, context_dim] CLIP-L ‖ bigG penultimate states' },
    { name: 'y', meaning: 'float32 [B, adm_in_channels] pooled bigG vector ‖ the micro-condition embeddings' },
  ],
  async load(checkpointPath: string, configPath?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await sdxlSpecFor('sdxl-unet', checkpointPath, configPath);
    const unet = await loadUNet(spec);
    return async (inputs) => {
      const x = float(inputs, 'x', 4);
      const t = need(inputs, 't', 1);
      const out = await unet.run(x, Array.from(t.data as ArrayLike<number | bigint>, Number), {
        context: float(inputs, 'context', 3),
        extra: { [SDXL_EXTRA.vector]: float(inputs, 'y', 2) },
      });
      return { dtype: '<f4', shape: [...out.dims], data: out.output };
    };
  },
};

/** `debug sdxl-vector`: y of the base from the pooled vector and the three size micro-conditions. */
export const sdxlVectorDebugModule = {
  description: 'SDXL base vector conditioning y = pooled ‖ E(original h, w) ‖ E(crop top, left) ‖ E(target h, w), 256-wide Fourier embeddings',
  inputs: [
    { name: 'pooled', meaning: 'float32 [B, P] bigG pooled vector (zeros for the unconditional branch)' },
    { name: 'original_size', meaning: 'int64 or float [B, 2] (height, width) in pixels' },
    { name: 'crop_coords_top_left', meaning: 'int64 or float [B, 2] (top, left)' },
    { name: 'target_size', meaning: 'int64 or float [B, 2] (height, width)' },
  ],
  async load(checkpointPath: string, configPath?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await sdxlSpecFor('sdxl-vector', checkpointPath, configPath);
    if (spec.variant !== 'base') throw new StudioError('INVALID_REQUEST', 'debug sdxl-vector builds the base model\'s y; the refiner conditions on an aesthetic score instead of the target size');
    return async (inputs) => {
      const pooled = float(inputs, 'pooled', 2);
      const B = pooled.dims[0];
      const extra = Object.fromEntries(spec.microConditions.map((m) => [m, float(inputs, m, 2)]));
      const y = vectorConditioning({ context: { data: new Float32Array(0), dims: [B, 0, 0] }, pooled, extra }, spec.microConditions, spec.unet.admInChannels, B, 1, 1);
      return { dtype: '<f4', shape: [...y.dims], data: y.data as Float32Array };
    };
  },
};
