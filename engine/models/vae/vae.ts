import { StudioError } from '../../api/errors.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { type CompiledSession, type HostTensor, type RuntimeOptions, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { StableDiffusionSpec, VAEConfig } from '../spec.ts';
import { buildVAEDecoder, buildVAEEncoder } from './graphs.ts';
import { latentFactor } from './latent.ts';
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

interface Role {
  name: 'encoder' | 'decoder';
  input: string;
  output: string;
  /** Input / output pixels per latent pixel. */
  inScale: number;
  outScale: number;
}

const encoderRole = (f: number): Role => ({ name: 'encoder', input: 'image', output: 'moments', inScale: f, outScale: 1 });
const decoderRole = (f: number): Role => ({ name: 'decoder', input: 'z', output: 'image', inScale: 1, outScale: f });

class VAEPart {
  private readonly cache: SessionCache;
  private readonly identity: string;

  constructor(private readonly model: VAEModel, private readonly opts: VAERunOptions, private readonly role: Role) {
    this.cache = opts.cache ?? sessionCache;
    this.identity = checkpointIdentity(model.files);
  }

  private session(): Promise<CompiledSession> {
    const { model, opts, role } = this;
    return this.cache.get(
      {
        checkpoint: this.identity,
        architecture: `vae-${role.name}:${model.weights.prefix}`,
        signature: `kernel=${opts.kernel ?? 'fused'};sf=${model.scaleFactor}`,
      },
      ({ computeType }) => (role.name === 'encoder'
        ? buildVAEEncoder(model.weights, model.config, computeType, { kernel: opts.kernel })
        : buildVAEDecoder(model.weights, model.config, model.scaleFactor, computeType, { kernel: opts.kernel })),
      opts.runtime,
    );
  }

  async run(x: HostTensor): Promise<HostTensor> {
    const { role } = this;
    if (x.dims.length !== 4) throw new StudioError('SHAPE_MISMATCH', `VAE ${role.name} expects NCHW, got [${x.dims.join(', ')}]`);
    const [, , H, W] = x.dims;
    if (H % role.inScale || W % role.inScale) {
      throw new StudioError('SHAPE_MISMATCH', `VAE ${role.name}: ${H}x${W} is not a multiple of ${role.inScale}`);
    }
    const s = await this.session();
    const once = async (t: HostTensor) => (await runSession(s, { [role.input]: t }))[role.output];
    const tiling = { ...DEFAULT_TILING, ...this.opts.tiling };
    if (!shouldTile(H / role.inScale, W / role.inScale, tiling)) return once(x);
    return runTiled(x, once, { tileSize: tiling.tileSize, overlap: tiling.overlap, inScale: role.inScale, outScale: role.outScale });
  }
}

/** Diffusion-space latent z [B, 4, h, w] → raw image [B, 3, fh, fw], f = latentFactor (nominal [-1, 1], not clamped). */
export class VAEDecoder {
  private readonly part: VAEPart;
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    this.part = new VAEPart(model, opts, decoderRole(latentFactor(model.config)));
  }

  decode(z: HostTensor): Promise<HostTensor> {
    return this.part.run(z);
  }
}

/** Image [B, 3, H, W] in [-1, 1] → moments [B, 2z, H/f, W/f] (see latent.ts for mean / sampling). */
export class VAEEncoder {
  private readonly part: VAEPart;
  constructor(model: VAEModel, opts: VAERunOptions = {}) {
    this.part = new VAEPart(model, opts, encoderRole(latentFactor(model.config)));
  }

  encode(image: HostTensor): Promise<HostTensor> {
    return this.part.run(image);
  }
}
