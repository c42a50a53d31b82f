import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkGraph } from '../../graph/network.ts';
import type { HostTensor, RuntimeOptions, SessionCache } from '../../graph/session.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { TAESDSpec } from '../spec.ts';
import { type ImagePartRole, runImagePart } from '../vae/imagePart.ts';
import type { TilingOptions } from '../vae/tiling.ts';
import { buildTAESDDecoder, buildTAESDEncoder } from './graphs.ts';

/** TAESD weights in the canonical `encoder.N…` / `decoder.N…` space, and their files. */
export interface TAESDModel {
  weights: WeightScope;
  files: readonly string[];
}

export function taesdFromSpec(spec: TAESDSpec): TAESDModel {
  return { weights: spec.weights, files: spec.files };
}

export interface TAESDRunOptions {
  cache?: SessionCache;
  runtime?: RuntimeOptions;
  /** Same tiling as the KL VAE; TAESD's only global op is taef2's pool GroupNorm. */
  tiling?: TilingOptions;
}

/** One half of TAESD over the network runner; a checkpoint without that half is refused. */
function taesdPart(model: TAESDModel, opts: TAESDRunOptions, half: 'encoder' | 'decoder') {
  if (!model.weights.has(half === 'encoder' ? 'encoder.0.weight' : 'decoder.1.weight')) {
    throw new StudioError('CHECKPOINT_INCOMPLETE', `This TAESD checkpoint has no ${half}`, { missing: [`${half}.*`] });
  }
  const rt = opts.runtime ?? {};
  const network = new Network(checkpointIdentity(model.files), `taesd-${half}`, {
    cache: opts.cache, threads: rt.intraOpNumThreads, provider: rt.provider, placement: rt.placement, memArena: rt.memArena,
  });
  const w = model.weights.scope(half);
  const graph: NetworkGraph = { build: (computeType) => (half === 'encoder' ? buildTAESDEncoder(w, computeType) : buildTAESDDecoder(w, computeType)) };
  const role: ImagePartRole = half === 'encoder'
    ? { label: 'TAESD encoder', input: 'image', output: 'latents', inScale: 8, outScale: 1 }
    : { label: 'TAESD decoder', input: 'latents', output: 'image', inScale: 1, outScale: 8 };
  return (x: HostTensor) => runImagePart(network, graph, role, x, opts.tiling);
}

/** image [B, 3, H, W] in [0, 1] → latents [B, C, H/8, W/8], already in diffusion-latent scale. */
export class TAESDEncoder {
  private readonly part: (image: HostTensor) => Promise<HostTensor>;
  constructor(model: TAESDModel, opts: TAESDRunOptions = {}) {
    this.part = taesdPart(model, opts, 'encoder');
  }

  encode(image01: HostTensor): Promise<HostTensor> {
    return this.part(image01);
  }
}

/** latents [B, C, h, w] → image [B, 3, 8h, 8w], raw, nominal [0, 1] (clamp for display). */
export class TAESDDecoder {
  private readonly part: (latents: HostTensor) => Promise<HostTensor>;
  constructor(model: TAESDModel, opts: TAESDRunOptions = {}) {
    this.part = taesdPart(model, opts, 'decoder');
  }

  decode(latents: HostTensor): Promise<HostTensor> {
    return this.part(latents);
  }
}
