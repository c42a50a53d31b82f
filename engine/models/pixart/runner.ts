import { StudioError } from '../../api/errors.ts';
import type { AttentionController } from '../../controllers/controller.ts';
import type { Conditioning, DenoiserResult, DenoiserStep, Tensor } from '../../denoiser/denoiser.ts';
import { type DenoiserNetwork, type GraphDenoiser, graphDenoiser } from '../../denoiser/graphDenoiser.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { NetworkRuntime } from '../../graph/network.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import type { HostTensor, SessionCache } from '../../graph/session.ts';
import { readFloat32 } from '../../safetensors/reader.ts';
import { PIXART_NULL_CAPTION } from '../layouts/pixartOriginal.ts';
import type { PixArtConfig } from './config.ts';
import { buildPixArtGraph } from './graph.ts';
import type { PixArtSpec } from './open.ts';
import { pixartPosEmbed } from './posEmbed.ts';
import { type PixArtSites, pixartSites } from './sites.ts';

/** A float32 tensor with its shape. */
export type Tensor32 = Tensor;

/** α-1024-MS micro-conditions per batch entry; ignored by models without them. */
export interface PixArtMicroConds {
  /** (height, width) of the output image in pixels. */
  resolution: ReadonlyArray<readonly [number, number]>;
  /** height / width. */
  aspectRatio: readonly number[];
}

export interface LoadPixArtOptions {
  controllers?: readonly AttentionController[];
  runtime?: Omit<NetworkRuntime, 'cache'>;
  /** Attention kernel at every site; default `fused` (com.microsoft MultiHeadAttention). */
  kernel?: AttentionKernel;
  /** Also return the intermediate tensors (`tap/*` in `extras`) the golden set documents. */
  taps?: boolean;
  cache?: SessionCache;
}

/** Conditioning extras a PixArt call reads: α-1024 micro-conditions, [B, 2] and [B, 1]. */
export const PIXART_MICRO = { resolution: 'resolution', aspectRatio: 'aspect_ratio' } as const;

/** PixArt as a Denoiser, plus the calls its own tests and `debug dit` use. */
export interface PixArtRunner extends GraphDenoiser {
  readonly config: PixArtConfig;
  readonly sites: PixArtSites;
  /**
   * One evaluation: x [B, Cin, h, w] (h, w multiples of the patch), t (B DDPM timesteps,
   * fractional allowed), caption [B, L, captionChannels] raw T5 states, mask (B·L values, 1 =
   * token, 0 = padding). Micro-conditions default to the latent's size ×8 and its h/w.
   */
  evaluate(x: Tensor, t: readonly number[], caption: Tensor, mask: ArrayLike<number | bigint>, microConds?: PixArtMicroConds, step?: DenoiserStep): Promise<Float32Array>;
  evaluateDetailed(x: Tensor, t: readonly number[], caption: Tensor, mask: ArrayLike<number | bigint>, microConds?: PixArtMicroConds, step?: DenoiserStep): Promise<DenoiserResult>;
}

/** The learned null caption `y_embedding` [L, captionChannels] (α official guidance), if the file has one. */
export async function pixartNullCaption(spec: PixArtSpec): Promise<Tensor | undefined> {
  const info = spec.weights.tryGet(PIXART_NULL_CAPTION);
  return info ? { data: await readFloat32(info), dims: [...info.shape] } : undefined;
}

/** The transformer as a backbone the shared graph denoiser runs; the position table of each grid is computed once (float64) and fed. */
function pixartNetwork(spec: PixArtSpec, kernel: AttentionKernel, taps: boolean): DenoiserNetwork {
  const config = spec.config;
  const w = spec.weights;
  const posTables = new Map<string, Float32Array>();
  const posEmbed = (rows: number, cols: number) => {
    const k = `${rows}x${cols}`;
    let t = posTables.get(k);
    if (!t) posTables.set(k, (t = pixartPosEmbed(rows, cols, config.width, config.baseSize, config.interpolationScale)));
    return t;
  };
  return {
    architecture: 'pixart',
    label: 'PixArt transformer',
    checkpoint: checkpointIdentity(w.files()),
    inChannels: config.inChannels,
    // Learned sigma: the first half of the output channels is the ε the sampler uses.
    latentChannels: config.inChannels,
    contextDim: config.captionChannels,
    sites: pixartSites(config, {}, w.prefix),
    signature: `kernel=${kernel};taps=${taps ? 1 : 0}`,
    build: (computeType, chain) => buildPixArtGraph(computeType, w, config, chain, { kernel, taps }),
    feeds(x, t, c) {
      const caption = c.context;
      const [B, , L] = [caption.dims[0], 0, caption.dims[1]];
      const mask = c.contextMask?.data ?? new Float32Array(B * L).fill(1);
      const [, C, h, wd] = checkInputs(config, x, t, caption, mask);
      const p = config.patchSize;
      const feeds: Record<string, HostTensor> = {
        x: { data: x.data, dims: [B, C, h, wd] },
        t: { data: Float32Array.from(t), dims: [B] },
        caption: { data: caption.data, dims: [...caption.dims] },
        mask: { data: BigInt64Array.from(Array.from(mask, (v) => BigInt(Number(v) ? 1 : 0))), dims: [B, L] },
        pos_embed: { data: posEmbed(h / p, wd / p), dims: [1, (h / p) * (wd / p), config.width] },
      };
      if (config.microConditions) Object.assign(feeds, microFeeds(B, h, wd, c.extra));
      return feeds;
    },
  };
}

/**
 * Builds (or takes from the session cache) the PixArt transformer of `spec` with its
 * controllers. One session with symbolic sizes serves every latent size and caption length.
 */
export async function loadPixArt(spec: PixArtSpec, options: LoadPixArtOptions = {}): Promise<PixArtRunner> {
  const net = pixartNetwork(spec, options.kernel ?? 'fused', options.taps ?? false);
  const d = await graphDenoiser(net, {
    controllers: options.controllers,
    runtime: { ...options.runtime, cache: options.cache },
    warmUp: { batch: 1, height: 2 * spec.config.patchSize, width: 2 * spec.config.patchSize, tokens: 8 },
  });
  const evaluateDetailed: PixArtRunner['evaluateDetailed'] = (x, t, caption, mask, microConds, step) =>
    d.run(x, t, { context: caption, contextMask: { data: Float32Array.from(Array.from(mask, Number)), dims: [caption.dims[0], caption.dims[1]] }, ...(microConds ? { extra: microExtra(microConds) } : {}) }, step);
  return {
    ...d,
    config: spec.config,
    sites: net.sites as PixArtSites,
    evaluateDetailed,
    evaluate: async (...args) => (await evaluateDetailed(...args)).output,
    withControllers: (controllers) => loadPixArt(spec, { ...options, controllers }),
  };
}

/** Micro-conditions as conditioning extras. */
function microExtra(m: PixArtMicroConds): Record<string, Tensor> {
  return {
    [PIXART_MICRO.resolution]: { data: Float32Array.from(m.resolution.flat()), dims: [m.resolution.length, 2] },
    [PIXART_MICRO.aspectRatio]: { data: Float32Array.from(m.aspectRatio), dims: [m.aspectRatio.length, 1] },
  };
}

/** ComfyUI's fallback when the caller names none: the image the latent decodes to (8×) and its h/w. */
function microFeeds(B: number, h: number, w: number, extra: Conditioning['extra']): Record<string, HostTensor> {
  const given = extra?.[PIXART_MICRO.resolution];
  const ratio = extra?.[PIXART_MICRO.aspectRatio];
  if ((given && given.dims[0] !== B) || (ratio && ratio.dims[0] !== B)) {
    throw new StudioError('SHAPE_MISMATCH', `PixArt: micro-conditions for ${given?.dims[0] ?? B}/${ratio?.dims[0] ?? B} images in a batch of ${B}`);
  }
  const resolution = given?.data ?? Float32Array.from({ length: 2 * B }, (_, i) => (i % 2 ? 8 * w : 8 * h));
  const aspect = ratio?.data ?? new Float32Array(B).fill(h / w);
  return { resolution: { data: resolution, dims: [B, 2] }, aspect_ratio: { data: aspect, dims: [B, 1] } };
}

function checkInputs(c: PixArtConfig, x: Tensor, t: readonly number[], caption: Tensor, mask: ArrayLike<number | bigint>): number[] {
  const bad = (what: string) => new StudioError('SHAPE_MISMATCH', `PixArt: ${what}`, { xDims: [...x.dims], captionDims: [...caption.dims] });
  const count = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
  if (x.dims.length !== 4 || x.dims.some((d) => !Number.isInteger(d) || d < 1)) throw bad(`x must be [B, C, h, w], got [${x.dims.join(', ')}]`);
  const [B, C, h, w] = x.dims;
  if (C !== c.inChannels) throw bad(`x has ${C} channels, this transformer takes ${c.inChannels}`);
  if (h % c.patchSize || w % c.patchSize) throw bad(`latent ${h}×${w} is not a multiple of the patch size ${c.patchSize}`);
  if (x.data.length !== count(x.dims)) throw bad(`x holds ${x.data.length} values for dims [${x.dims.join(', ')}]`);
  if (t.length !== B) throw bad(`${t.length} timesteps for a batch of ${B}`);
  if (caption.dims.length !== 3 || caption.dims[0] !== B || caption.dims[2] !== c.captionChannels) {
    throw bad(`caption must be [${B}, tokens, ${c.captionChannels}], got [${caption.dims.join(', ')}]`);
  }
  if (caption.data.length !== count(caption.dims)) throw bad(`caption holds ${caption.data.length} values for dims [${caption.dims.join(', ')}]`);
  if (mask.length !== B * caption.dims[1]) throw bad(`mask holds ${mask.length} values for a caption of [${B}, ${caption.dims[1]}]`);
  return [...x.dims];
}
