import { StudioError } from '../../api/errors.ts';
import { ControllerChain } from '../../controllers/chain.ts';
import type { AttentionController, StepInfo } from '../../controllers/controller.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import type { PlacementOptions } from '../../graph/placement.ts';
import type { ProviderPreference } from '../../graph/provider.ts';
import { type CompiledSession, type HostTensor, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import { readFloat32 } from '../../safetensors/reader.ts';
import { PIXART_NULL_CAPTION } from '../layouts/pixartOriginal.ts';
import type { PixArtConfig } from './config.ts';
import { buildPixArtGraph } from './graph.ts';
import type { PixArtSpec } from './open.ts';
import { pixartPosEmbed } from './posEmbed.ts';
import { type PixArtSites, pixartSites } from './sites.ts';

/** A float32 tensor with its shape. */
export interface Tensor32 {
  data: Float32Array;
  dims: readonly number[];
}

/** α-1024-MS micro-conditions per batch entry; ignored by models without them. */
export interface PixArtMicroConds {
  /** (height, width) of the output image in pixels. */
  resolution: ReadonlyArray<readonly [number, number]>;
  /** height / width. */
  aspectRatio: readonly number[];
}

export interface LoadPixArtOptions {
  controllers?: ControllerChain | readonly AttentionController[];
  runtime?: { threads?: number; provider?: ProviderPreference; placement?: PlacementOptions };
  /** Attention kernel at every site; default `fused` (com.microsoft MultiHeadAttention). */
  kernel?: AttentionKernel;
  /** Also return the intermediate tensors (`tap/*` in `extras`) the golden set documents. */
  taps?: boolean;
  cache?: SessionCache;
}

export interface PixArtResult {
  /** Raw output [B, outChannels, h, w]: channels 0..3 ε, the rest learned sigma. */
  output: Float32Array;
  dims: number[];
  /** Controller outputs by graph name, and `tap/*` intermediates when asked for. */
  extras: Record<string, HostTensor>;
}

export interface PixArtRunner {
  readonly config: PixArtConfig;
  readonly sites: PixArtSites;
  readonly chain: ControllerChain;
  /**
   * One evaluation: x [B, Cin, h, w] (h, w multiples of the patch), t (B DDPM timesteps,
   * fractional allowed), caption [B, L, captionChannels] raw T5 states, mask (B·L values, 1 =
   * token, 0 = padding). Micro-conditions default to the latent's size ×8 and its h/w.
   */
  run(x: Tensor32, t: readonly number[], caption: Tensor32, mask: ArrayLike<number | bigint>, microConds?: PixArtMicroConds, step?: StepInfo): Promise<Float32Array>;
  runDetailed(x: Tensor32, t: readonly number[], caption: Tensor32, mask: ArrayLike<number | bigint>, microConds?: PixArtMicroConds, step?: StepInfo): Promise<PixArtResult>;
  session(): Promise<CompiledSession>;
}

/** The learned null caption `y_embedding` [L, captionChannels] (α official guidance), if the file has one. */
export async function pixartNullCaption(spec: PixArtSpec): Promise<Tensor32 | undefined> {
  const info = spec.weights.tryGet(PIXART_NULL_CAPTION);
  return info ? { data: await readFloat32(info), dims: [...info.shape] } : undefined;
}

/**
 * Builds (or takes from the session cache) the PixArt transformer of `spec` with a
 * controller chain. One session with symbolic sizes serves every latent size and caption
 * length; the position table of each grid is computed once (float64) and fed.
 */
export async function loadPixArt(spec: PixArtSpec, options: LoadPixArtOptions = {}): Promise<PixArtRunner> {
  const config = spec.config;
  const chain = ControllerChain.from(options.controllers);
  const w = spec.weights;
  const sites = pixartSites(config, {}, w.prefix);
  chain.checkSites(sites.attention);
  const kernel = options.kernel ?? 'fused';
  const cache = options.cache ?? sessionCache;
  const rt = options.runtime ?? {};
  const key = {
    checkpoint: checkpointIdentity(w.files()),
    architecture: 'pixart',
    signature: `kernel=${kernel};taps=${options.taps ? 1 : 0};controllers=${chain.signature()}`,
  };
  const runtime = { provider: rt.provider, intraOpNumThreads: rt.threads, placement: rt.placement };
  const session = () => cache.get(key, (ctx) => buildPixArtGraph(ctx.computeType, w, config, chain, { kernel, taps: options.taps }), runtime);
  await session();

  const posTables = new Map<string, Float32Array>();
  const posEmbed = (rows: number, cols: number) => {
    const k = `${rows}x${cols}`;
    let t = posTables.get(k);
    if (!t) posTables.set(k, (t = pixartPosEmbed(rows, cols, config.width, config.baseSize, config.interpolationScale)));
    return t;
  };

  const runDetailed: PixArtRunner['runDetailed'] = async (x, t, caption, mask, microConds, step) => {
    const [B, C, h, wd] = checkInputs(config, x, t, caption, mask);
    const L = caption.dims[1];
    const p = config.patchSize;
    const feeds: Record<string, HostTensor> = {
      x: { data: x.data, dims: [B, C, h, wd] },
      t: { data: Float32Array.from(t), dims: [B] },
      caption: { data: caption.data, dims: [...caption.dims] },
      mask: { data: BigInt64Array.from(Array.from(mask, (v) => BigInt(Number(v) ? 1 : 0))), dims: [B, L] },
      pos_embed: { data: posEmbed(h / p, wd / p), dims: [1, (h / p) * (wd / p), config.width] },
    };
    if (config.microConditions) Object.assign(feeds, microFeeds(B, h, wd, microConds));
    const info = step ?? { index: 0, count: 1, timesteps: [...t] };
    if (!chain.isEmpty) Object.assign(feeds, chain.feeds(info));
    const { output, ...extras } = await runSession(await session(), feeds);
    if (!chain.isEmpty) chain.receive(info, extras);
    return { output: output.data as Float32Array, dims: [...output.dims], extras };
  };

  return { config, sites, chain, runDetailed, run: async (...args) => (await runDetailed(...args)).output, session };
}

/** ComfyUI's fallback when the caller names none: the image the latent decodes to (8×) and its h/w. */
function microFeeds(B: number, h: number, w: number, m: PixArtMicroConds | undefined): Record<string, HostTensor> {
  const resolution = new Float32Array(2 * B);
  const aspect = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const [rh, rw] = m?.resolution[b] ?? [8 * h, 8 * w];
    resolution[2 * b] = rh;
    resolution[2 * b + 1] = rw;
    aspect[b] = m?.aspectRatio[b] ?? h / w;
  }
  if (m && (m.resolution.length !== B || m.aspectRatio.length !== B)) {
    throw new StudioError('SHAPE_MISMATCH', `PixArt: micro-conditions for ${m.resolution.length}/${m.aspectRatio.length} images in a batch of ${B}`);
  }
  return { resolution: { data: resolution, dims: [B, 2] }, aspect_ratio: { data: aspect, dims: [B, 1] } };
}

function checkInputs(c: PixArtConfig, x: Tensor32, t: readonly number[], caption: Tensor32, mask: ArrayLike<number | bigint>): number[] {
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
