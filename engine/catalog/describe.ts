import type { Architecture } from '../api/schemas.ts';
import type { ModelSpec } from '../models/spec.ts';
import { latentFactor } from '../models/vae/latent.ts';
import { describePixArt } from './describePixArt.ts';

const FAMILY_NAMES = { sd1: 'Stable Diffusion 1.x', sd2: 'Stable Diffusion 2.x', sdxl: 'Stable Diffusion XL', taesd: 'TAESD preview autoencoder' } as const;

/** A model's detected architecture in plain words for the model list. */
export function describeModel(spec: ModelSpec): Architecture {
  if (spec.family === 'taesd') {
    const parts = [spec.taesd.hasEncoder && 'encoder', spec.taesd.hasDecoder && 'decoder'].filter(Boolean).join(' + ');
    return {
      family: 'taesd',
      summary: `${FAMILY_NAMES.taesd} (${parts}, ${spec.taesd.latentChannels} latent channels)`,
      details: { latentChannels: spec.taesd.latentChannels, layout: spec.layout, files: spec.files, warnings: spec.warnings },
    };
  }
  if (spec.family === 'pixart') return describePixArt(spec);
  const { unet } = spec;
  const text = spec.family === 'sdxl' ? { textEncoders: { ...spec.textEncoders }, microConditions: spec.microConditions } : { textEncoder: { ...spec.textEncoders[0] } };
  const flags = [
    spec.inpainting ? 'inpainting' : null,
    spec.prediction === 'v' ? 'v-prediction' : 'eps',
    spec.weightDType !== 'F32' ? String(spec.weightDType) : 'F32',
  ].filter(Boolean);
  return {
    family: spec.family,
    summary: `${FAMILY_NAMES[spec.family]}${spec.family === 'sdxl' ? ` ${spec.variant}` : ''} UNet ${unet.modelChannels}×[${unet.channelMult.join(',')}], ${flags.join(', ')}`,
    details: {
      layout: spec.layout,
      prediction: spec.prediction,
      inpainting: spec.inpainting,
      scaleFactor: spec.scaleFactor,
      latentFactor: latentFactor(spec.vae),
      nativeSize: spec.nativeSize,
      guidanceScale: spec.guidanceScale,
      unet: { ...unet },
      ...text,
      vae: { ...spec.vae },
      weightDType: spec.weightDType,
      configFile: spec.configFile ?? null,
      warnings: spec.warnings,
    },
  };
}
