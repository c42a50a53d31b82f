import { StudioError } from '../api/errors.ts';
import type { HostTensor } from '../graph/session.ts';
import { loadImageEncoder } from '../models/clipVision/encoder.ts';
import { detectModel } from '../models/detect.ts';
import type { SDXLSpec, StableDiffusionSpec, TAESDSpec } from '../models/spec.ts';
import { TAESDDecoder, TAESDEncoder, taesdFromSpec } from '../models/taesd/taesd.ts';
import { VAEDecoder, VAEEncoder, vaeFromSpec } from '../models/vae/vae.ts';
import { type NpyArray, npyToFloat32 } from '../npy/npy.ts';

/**
 * Debug modules for the image-side networks: the KL VAE halves, TAESD halves and the CLIP
 * vision tower. Inputs and outputs mean what ../shared/golden/README.md says; the VAEs run
 * on the whole image (no tiling), so a parity check compares the network, not the tiler.
 */

type Run = (inputs: Map<string, NpyArray>) => Promise<NpyArray>;

function nchw(inputs: Map<string, NpyArray>, module: string, name: string, channels?: number): HostTensor {
  const a = inputs.get(name);
  if (!a) throw new StudioError('INVALID_REQUEST', `${module} needs an input named ${name}`);
  if (a.shape.length !== 4 || (channels !== undefined && a.shape[1] !== channels)) {
    throw new StudioError('SHAPE_MISMATCH', `${module}: ${name} must be [B, ${channels ?? 'C'}, H, W], got [${a.shape.join(', ')}]`, { got: a.shape });
  }
  return { data: npyToFloat32(a), dims: a.shape };
}

const toNpy = (t: HostTensor): NpyArray => ({ dtype: '<f4', shape: [...t.dims], data: t.data as Float32Array });

async function sdSpec(checkpoint: string, config: string | undefined, module: string): Promise<StableDiffusionSpec | SDXLSpec> {
  const spec = await detectModel(checkpoint, config ? { configPath: config } : {});
  if (spec.family === 'taesd' || spec.family === 'pixart') throw new StudioError('INVALID_REQUEST', `${checkpoint} is a TAESD model: use debug ${module.replace('vae', 'taesd')}`);
  return spec;
}

async function taesdSpec(checkpoint: string, _config: string | undefined, module: string): Promise<TAESDSpec> {
  const spec = await detectModel(checkpoint);
  if (spec.family !== 'taesd') throw new StudioError('INVALID_REQUEST', `${checkpoint} is not a TAESD model: use debug ${module.replace('taesd', 'vae')}`);
  return spec;
}

const NO_TILING = { tiling: { mode: 'never' as const } };

/** One NCHW float input → one NCHW float output, on a network built once per checkpoint. */
function imageModule<S>(o: {
  name: string;
  description: string;
  input: string;
  meaning: string;
  spec: (checkpoint: string, config: string | undefined, name: string) => Promise<S>;
  channels: (spec: S) => number;
  network: (spec: S) => (x: HostTensor) => Promise<HostTensor>;
}) {
  return {
    description: o.description,
    inputs: [{ name: o.input, meaning: o.meaning }],
    async load(checkpoint: string, config?: string): Promise<Run> {
      const spec = await o.spec(checkpoint, config, o.name);
      const run = o.network(spec);
      return async (inputs) => toNpy(await run(nchw(inputs, o.name, o.input, o.channels(spec))));
    },
  };
}

export const vaeDecoderDebugModule = imageModule({
  name: 'vae-decoder',
  description: 'KL-f8 VAE decoder: a diffusion-space latent (the module applies 1/scale_factor) to the raw image',
  input: 'z', meaning: 'float32 [B, 4, h, w] latent in diffusion space',
  spec: sdSpec, channels: (s) => s.vae.zChannels,
  network: (s) => { const vae = new VAEDecoder(vaeFromSpec(s), NO_TILING); return (x) => vae.decode(x); },
});

export const vaeEncoderDebugModule = imageModule({
  name: 'vae-encoder',
  description: 'KL-f8 VAE encoder: an image in [-1, 1] to the moments (mean ‖ log-variance, raw)',
  input: 'image', meaning: 'float32 [B, 3, H, W] in [-1, 1], sides multiples of 8',
  spec: sdSpec, channels: () => 3,
  network: (s) => { const vae = new VAEEncoder(vaeFromSpec(s), NO_TILING); return (x) => vae.encode(x); },
});

export const taesdDecoderDebugModule = imageModule({
  name: 'taesd-decoder',
  description: 'TAESD decoder: latents (diffusion scale) to the raw image, nominal [0, 1]',
  input: 'latents', meaning: 'float32 [B, C, h, w] latents',
  spec: taesdSpec, channels: (s) => s.taesd.latentChannels,
  network: (s) => { const t = new TAESDDecoder(taesdFromSpec(s), NO_TILING); return (x) => t.decode(x); },
});

export const taesdEncoderDebugModule = imageModule({
  name: 'taesd-encoder',
  description: 'TAESD encoder: an image in [0, 1] to latents in diffusion scale',
  input: 'image', meaning: 'float32 [B, 3, H, W] in [0, 1], sides multiples of 8',
  spec: taesdSpec, channels: () => 3,
  network: (s) => { const t = new TAESDEncoder(taesdFromSpec(s), NO_TILING); return (x) => t.encode(x); },
});

function visionModule(output: 'embeds' | 'penultimate') {
  return {
    description: output === 'embeds'
      ? 'CLIP vision tower (IP-Adapter image encoder): preprocessed pixels to image_embeds (visual projection of the pooled CLS)'
      : 'CLIP vision tower: preprocessed pixels to hidden_states[-2], what IP-Adapter Plus resamples',
    inputs: [{ name: 'pixels', meaning: 'float32 [B, 3, S, S] CLIP-normalised pixel_values (S = the tower\'s image size)' }],
    async load(checkpoint: string): Promise<Run> {
      const encoder = await loadImageEncoder(checkpoint);
      return async (inputs) => {
        const S = encoder.config.imageSize;
        const px = nchw(inputs, `clip-vision`, 'pixels', 3);
        if (px.dims[2] !== S || px.dims[3] !== S) throw new StudioError('SHAPE_MISMATCH', `clip-vision: pixels must be ${S}×${S}, got ${px.dims[2]}×${px.dims[3]}`);
        return toNpy(output === 'embeds' ? await encoder.embeds(px) : await encoder.penultimate(px));
      };
    },
  };
}

export const clipVisionDebugModule = visionModule('embeds');
export const clipVisionPenultimateDebugModule = visionModule('penultimate');
