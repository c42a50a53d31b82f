import { StudioError } from '../../api/errors.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { type HostTensor, type RuntimeOptions, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { StableDiffusionSpec, VAEConfig } from '../spec.ts';
import { buildVAEDecoder, buildVAEEncoder } from './graphs.ts';
import { DEFAULT_TILING, type TilingOptions, runTiled, shouldTile } from './tiling.ts';

/** What the VAE graphs need: weights at `first_stage_model`, shapes, scale factor, files (cache identity). */
export interface VAEModel {
  weights: WeightScope;
  config: VAEConfig;
  scaleFactor: number;
  files: readonly string[];
}

export function vaeFromSpec(spec: StableDiffusionSpec): VAEModel {
  return { weights: spec.weights.scope('first_stage_model'), config: spec.vae, scaleFactor: spec.scaleFactor, files: spec.files };
}

export interface VAERunOptions {
  cache?: SessionCache;
  runtime?: RuntimeOptions;
  tiling?: TilingOptions;
  kernel?: AttentionKernel;
}

abstract class VAEPart {
  protected readonly cache: SessionCache;
  private readonly identity: string;

  constructor(protected readonly model: VAEModel, protected readonly opts: VAERunOptions, private readonly role: 'encoder' | 'decoder') {
    this.cache = opts.cache ?? sessionCache;
    this.identity = checkpointIdentity(model.files);
  }

  protected session() {
    const { model, opts, role } = this;
    return this.cache.get(
      { checkpoint: this.identity, architecture: `vae-${role}:${model.weights.prefix}`, signature: `kernel=${opts.kernel ?? 'fused'};sf=${model.scaleFactor}` },
      ({ computeType }) => (role === 'encoder'
        ? buildVAEEncoder(model.weights, model.config, computeType, { kernel: opts.kernel })
        : buildVAEDecoder(model.weights, model.config, model.scaleFactor, computeType, { kernel: opts.kernel })),
      opts.runtime,
    );
  }

  protected async runTiledOrWhole(x: HostTensor, inName: string, outName: string, inScale: number, outScale: number): Promise<HostTensor> {
    if (x.dims.length !== 4) throw new StudioError('SHAPE_MISMATCH', `VAE ${this.role} expects NCHW, got [${x.dims.join(', ')}]`);
    const [, , H, W] = x.dims;
    if (H % inScale || W % inScale) throw new StudioError('SHAPE_MISMATCH', `VAE ${this.role}: ${H}x${W} is not a multiple of ${inScale}`);
    const s = await this.session();
    const once = async (t: HostTensor) => (await runSession(s, { [inName]: t }))[outName];
    const tiling = { ...DEFAULT_TILING, ...this.opts.tiling };
    if (!shouldTile(H / inScale, W / inScale, tiling)) return once(x);
    return runTiled(x, once, { tileSize: tiling.tileSize, overlap: tiling.overlap, inScale, outScale });
  }
}

/** Diffusion-space latent z [B, 4, h, w] → raw image [B, 3, 8h, 8w] (nominal [-1, 1], not clamped). */
export class VAEDecoder extends VAEPart {
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    super(model, opts, 'decoder');
  }

  decode(z: HostTensor): Promise<HostTensor> {
    return this.runTiledOrWhole(z, 'z', 'image', 1, 8);
  }
}

/** Image [B, 3, H, W] in [-1, 1] → moments [B, 2z, H/8, W/8] (see latent.ts for mean / sampling). */
export class VAEEncoder extends VAEPart {
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    super(model, opts, 'encoder');
  }

  encode(image: HostTensor): Promise<HostTensor> {
    return this.runTiledOrWhole(image, 'image', 'moments', 8, 1);
  }
}
