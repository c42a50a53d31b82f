import type { AttentionKernel } from '../../graph/ops/attention.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkGraph } from '../../graph/network.ts';
import type { HostTensor, RuntimeOptions, SessionCache } from '../../graph/session.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { ImageModelSpec, SDXLSpec, VAEConfig } from '../spec.ts';
import { buildVAEDecoder, buildVAEEncoder } from './graphs.ts';
import { latentFactor } from './latent.ts';
import { type ImagePartRole, runImagePart } from './imagePart.ts';
import type { TilingOptions } from './tiling.ts';

/** What the VAE graphs need: weights at `first_stage_model`, shapes, scale factor, files (cache identity). */
export interface VAEModel {
  weights: WeightScope;
  config: VAEConfig;
  scaleFactor: number;
  files: readonly string[];
}

/** The VAE of an SD 1.x/2.x, SDXL (scale 0.13025) or PixArt pipeline: the same kl-f8 network. */
export function vaeFromSpec(spec: Pick<ImageModelSpec | SDXLSpec, 'weights' | 'vae' | 'scaleFactor' | 'files'>): VAEModel {
  return { weights: spec.weights.scope('first_stage_model'), config: spec.vae, scaleFactor: spec.scaleFactor, files: spec.files };
}

export interface VAERunOptions {
  cache?: SessionCache;
  runtime?: RuntimeOptions;
  tiling?: TilingOptions;
  kernel?: AttentionKernel;
}

/** One half of the KL autoencoder over the network runner. */
function vaePart(model: VAEModel, opts: VAERunOptions, half: 'encoder' | 'decoder') {
  const f = latentFactor(model.config);
  const rt = opts.runtime ?? {};
  const network = new Network(checkpointIdentity(model.files), `vae-${half}:${model.weights.prefix}`, {
    cache: opts.cache, threads: rt.intraOpNumThreads, provider: rt.provider, placement: rt.placement, memArena: rt.memArena,
  });
  const graph: NetworkGraph = {
    signature: `kernel=${opts.kernel ?? 'fused'};sf=${model.scaleFactor}`,
    build: (computeType) => (half === 'encoder'
      ? buildVAEEncoder(model.weights, model.config, computeType, { kernel: opts.kernel })
      : buildVAEDecoder(model.weights, model.config, model.scaleFactor, computeType, { kernel: opts.kernel })),
  };
  const role: ImagePartRole = half === 'encoder'
    ? { label: 'VAE encoder', input: 'image', output: 'moments', inScale: f, outScale: 1 }
    : { label: 'VAE decoder', input: 'z', output: 'image', inScale: 1, outScale: f };
  return (x: HostTensor) => runImagePart(network, graph, role, x, opts.tiling);
}

/** Diffusion-space latent z [B, 4, h, w] → raw image [B, 3, fh, fw], f = latentFactor (nominal [-1, 1], not clamped). */
export class VAEDecoder {
  private readonly part: (z: HostTensor) => Promise<HostTensor>;
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    this.part = vaePart(model, opts, 'decoder');
  }

  decode(z: HostTensor): Promise<HostTensor> {
    return this.part(z);
  }
}

/** Image [B, 3, H, W] in [-1, 1] → moments [B, 2z, H/f, W/f] (see latent.ts for mean / sampling). */
export class VAEEncoder {
  private readonly part: (image: HostTensor) => Promise<HostTensor>;
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    this.part = vaePart(model, opts, 'encoder');
  }

  encode(image: HostTensor): Promise<HostTensor> {
    return this.part(image);
  }
}
