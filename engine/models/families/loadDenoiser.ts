import type { AttentionController } from '../../controllers/controller.ts';
import type { Denoiser } from '../../denoiser/denoiser.ts';
import type { LoraBinding } from '../../lora/adapters.ts';
import type { StableDiffusionSpec } from '../spec.ts';
import { type UNetRuntimeOptions, loadUNet } from '../unet/runner.ts';

export interface LoadDenoiserOptions {
  controllers?: readonly AttentionController[];
  runtime?: UNetRuntimeOptions;
  /** LoRAs on the denoiser's layers (multipliers fed per request). */
  lora?: LoraBinding;
}

/** The denoiser of a model, by its family's backbone (the LDM families: the UNet). */
export function loadDenoiser(spec: StableDiffusionSpec, options: LoadDenoiserOptions = {}): Promise<Denoiser> {
  switch (spec.family) {
    case 'sd1':
    case 'sd2':
      return loadUNet(spec, options);
  }
}
