import type { AttentionController } from '../controllers/controller.ts';
import type { ControllerChain } from '../controllers/chain.ts';
import type { NetworkSites } from '../controllers/site.ts';
import type { HostTensor } from '../graph/session.ts';
import type { SamplerStep } from '../schedulers/types.ts';

/** A float tensor on the host: values in row-major order and their dims. */
export interface Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * What a denoiser is conditioned on, for any family: the token states its cross-attention
 * reads, and where a family has them, pooled vectors, a padding mask and micro-conditions.
 */
export interface Conditioning {
  /** Text token states [B, T, D]. */
  readonly context: Tensor;
  /** Pooled text vectors [B, P] (SDXL's `y` is built from one). */
  readonly pooled?: Tensor;
  /** 1 for real tokens, 0 for padding, [B, T] (T5's captions). */
  readonly contextMask?: Tensor;
  /** Micro-conditions by name, [B, n] each (SDXL's sizes and crops, PixArt's resolution and aspect ratio). */
  readonly extra?: Readonly<Record<string, Tensor>>;
}

export interface DenoiserResult {
  /** Raw network output [B, outputChannels, h, w]. */
  readonly output: Float32Array;
  readonly dims: readonly number[];
  /** The controllers' outputs by graph name (`<controller>/<name>`). */
  readonly extras: Readonly<Record<string, HostTensor>>;
}

/** Where a call sits in its run; the timesteps default to `t`. */
export type DenoiserStep = SamplerStep & { readonly timesteps?: readonly number[] };

/**
 * The network a sampler drives, whatever its backbone (DESIGN D2b): pipelines, schedulers,
 * previews and controllers see only this.
 */
export interface Denoiser {
  /** Family and backbone, e.g. `unet:sd1`; part of every cache key. */
  readonly architecture: string;
  /** Channels of x it takes (a 9-channel inpainting UNet takes latent, mask and masked image). */
  readonly inChannels: number;
  /** Latent channels the sampler works in: the first this many output channels are the prediction. */
  readonly latentChannels: number;
  /** Width of the context tokens its cross-attention reads. */
  readonly contextDim: number;
  readonly sites: NetworkSites;
  readonly chain: ControllerChain;
  /**
   * One evaluation: x [B, inChannels, h, w], t (length B, DDPM timesteps, fractional
   * allowed). `step` reaches every controller's feeds.
   */
  run(x: Tensor, t: readonly number[], conditioning: Conditioning, step?: DenoiserStep): Promise<DenoiserResult>;
  /** The same network with these controllers planned on it (sessions cached by their signature). */
  withControllers(controllers: readonly AttentionController[]): Promise<Denoiser>;
}

/** The prediction part of an output: the first `latentChannels` of each row (a learned-sigma DiT outputs twice as many). */
export function prediction(d: Denoiser, r: DenoiserResult): Float32Array {
  const [B, C, h, w] = r.dims;
  if (C === d.latentChannels) return r.output;
  const plane = h * w;
  const out = new Float32Array(B * d.latentChannels * plane);
  for (let b = 0; b < B; b++) out.set(r.output.subarray(b * C * plane, (b * C + d.latentChannels) * plane), b * d.latentChannels * plane);
  return out;
}
