import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { type HostTensor, type RuntimeOptions, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { TAESDSpec } from '../spec.ts';
import { DEFAULT_TILING, type TilingOptions, runTiled, shouldTile } from '../vae/tiling.ts';
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

class TAESDPart {
  private readonly cache: SessionCache;
  private readonly identity: string;

  constructor(private readonly model: TAESDModel, private readonly opts: TAESDRunOptions, private readonly role: 'encoder' | 'decoder') {
    if (!model.weights.has(role === 'encoder' ? 'encoder.0.weight' : 'decoder.1.weight')) {
      throw new StudioError('CHECKPOINT_INCOMPLETE', `This TAESD checkpoint has no ${role}`, { missing: [`${role}.*`] });
    }
    this.cache = opts.cache ?? sessionCache;
    this.identity = checkpointIdentity(model.files);
  }

  async run(x: HostTensor, inName: string, outName: string, inScale: number, outScale: number): Promise<HostTensor> {
    const [, , H, W] = x.dims;
    if (x.dims.length !== 4 || H % inScale || W % inScale) {
      throw new StudioError('SHAPE_MISMATCH', `TAESD ${this.role}: expected NCHW with sides a multiple of ${inScale}, got [${x.dims.join(', ')}]`);
    }
    const w = this.model.weights.scope(this.role);
    const s = await this.cache.get(
      { checkpoint: this.identity, architecture: `taesd-${this.role}` },
      ({ computeType }) => (this.role === 'encoder' ? buildTAESDEncoder(w, computeType) : buildTAESDDecoder(w, computeType)),
      this.opts.runtime,
    );
    const once = async (t: HostTensor) => (await runSession(s, { [inName]: t }))[outName];
    const tiling = { ...DEFAULT_TILING, ...this.opts.tiling };
    if (!shouldTile(H / inScale, W / inScale, tiling)) return once(x);
    return runTiled(x, once, { tileSize: tiling.tileSize, overlap: tiling.overlap, inScale, outScale });
  }
}

/** image [B, 3, H, W] in [0, 1] → latents [B, C, H/8, W/8], already in diffusion-latent scale. */
export class TAESDEncoder {
  private readonly part: TAESDPart;
  constructor(model: TAESDModel, opts: TAESDRunOptions = {}) {
    this.part = new TAESDPart(model, opts, 'encoder');
  }

  encode(image01: HostTensor): Promise<HostTensor> {
    return this.part.run(image01, 'image', 'latents', 8, 1);
  }
}

/** latents [B, C, h, w] → image [B, 3, 8h, 8w], raw, nominal [0, 1] (clamp for display). */
export class TAESDDecoder {
  private readonly part: TAESDPart;
  constructor(model: TAESDModel, opts: TAESDRunOptions = {}) {
    this.part = new TAESDPart(model, opts, 'decoder');
  }

  decode(latents: HostTensor): Promise<HostTensor> {
    return this.part.run(latents, 'latents', 'image', 1, 8);
  }
}
