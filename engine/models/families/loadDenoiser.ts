import type { AttentionController } from '../../controllers/controller.ts';
import type { Denoiser } from '../../denoiser/denoiser.ts';
import type { LoraBinding } from '../../lora/adapters.ts';
import { type UNetRuntimeOptions, type UNetSpec, loadUNet } from '../unet/runner.ts';

export interface LoadDenoiserOptions {
  controllers?: readonly AttentionController[];
  runtime?: UNetRuntimeOptions;
  /** LoRAs on the denoiser's layers (multipliers fed per request). */
  lora?: LoraBinding;
}

/** The denoiser of a model, by its family's backbone (the LDM families, SDXL included: the UNet). */
export function loadDenoiser(spec: UNetSpec, options: LoadDenoiserOptions = {}): Promise<Denoiser> {
  switch (spec.family) {
    case 'sd1':
    case 'sd2':
    case 'sdxl':
      return loadUNet(spec, options);
  }
}
