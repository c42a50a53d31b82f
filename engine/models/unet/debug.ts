import { StudioError } from '../../api/errors.ts';
import { namedInput } from '../../npy/namedInput.ts';
import { type NpyArray, npyToFloat32 } from '../../npy/npy.ts';
import { detectModel } from '../detect.ts';
import { loadUNet } from './runner.ts';
import { applyLoras, type LoraUse } from '../../lora/apply.ts';
import type { LoraMode } from '../../lora/adapters.ts';
import type { TokenMergingOptions } from '../../controllers/tome/options.ts';
import { tokenMergingControllers } from '../../controllers/tome/tokenMerging.ts';

const need = (inputs: Map<string, NpyArray>, name: string, rank: number) => namedInput('unet', inputs, name, rank);

/** `latent-studio debug unet`: one UNet evaluation on .npy inputs (golden layout, see golden/README.md). */
export const unetDebugModule = {
  description: 'LDM UNet (SD 1.x/2.x): raw model output (eps or v) for one evaluation',
  inputs: [
    { name: 'x', meaning: 'float32 [B, C, h, w] noisy latent (C = 4, or 9 for inpainting: latent ‖ mask ‖ masked-image latent)' },
    { name: 't', meaning: 'int64 or float [B] DDPM timesteps (0..999)' },
    { name: 'context', meaning: 'float32 [B, 77·chunks, context_dim] text-encoder hidden states' },
  ],
  async load(checkpointPath: string, configPath?: string, options: { tokenMerging?: Partial<TokenMergingOptions> & { ratio: number }; loras?: readonly LoraUse[]; loraMode?: LoraMode } = {}): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>> {
    const spec = await detectModel(checkpointPath, configPath ? { configPath } : {});
    if (spec.family === 'taesd' || spec.family === 'pixart') throw new StudioError('INVALID_REQUEST', `${checkpointPath} has no UNet (it is a TAESD autoencoder)`);
    if (spec.family === 'sdxl') throw new StudioError('INVALID_REQUEST', `${checkpointPath} is SDXL, whose UNet also takes the vector y: use debug sdxl-unet`);
    const controllers = tokenMergingControllers(options.tokenMerging);
    const lora = options.loras?.length ? (await applyLoras(spec, options.loras, options.loraMode)).unet : undefined;
    const unet = await loadUNet(spec, { controllers, lora });
    return async (inputs) => {
      const x = need(inputs, 'x', 4);
      const t = need(inputs, 't', 1);
      const context = need(inputs, 'context', 3);
      const steps = Array.from(t.data as ArrayLike<number | bigint>, Number);
      const output = await unet.evaluate(npyToFloat32(x), x.shape, steps, npyToFloat32(context), context.shape);
      return { dtype: '<f4', shape: [x.shape[0], spec.unet.outChannels, x.shape[2], x.shape[3]], data: output };
    };
  },
};
