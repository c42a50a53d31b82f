import { StudioError } from '../../api/errors.ts';
import type { AttentionController } from '../../controllers/controller.ts';
import type { Denoiser, DenoiserResult, DenoiserStep } from '../../denoiser/denoiser.ts';
import { type DenoiserNetwork, graphDenoiser } from '../../denoiser/graphDenoiser.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import type { NetworkRuntime } from '../../graph/network.ts';
import type { CompiledSession, HostTensor, SessionCache } from '../../graph/session.ts';
import type { LoraBinding } from '../../lora/adapters.ts';
import type { SDXLSpec, StableDiffusionSpec, UNetConfig } from '../spec.ts';
import { buildUNetGraph } from './graph.ts';
import { type UNetSites, unetSites } from './sites.ts';
import { vectorConditioning } from './vectorConditioning.ts';

/** Checkpoints with an LDM UNet: SD 1.x/2.x, and SDXL (whose UNet also takes the vector y). */
export type UNetSpec = StableDiffusionSpec | SDXLSpec;

const UNET_PREFIX = 'model.diffusion_model';

export type UNetRuntimeOptions = Omit<NetworkRuntime, 'cache'>;

export interface LoadUNetOptions {
  controllers?: readonly AttentionController[];
  runtime?: UNetRuntimeOptions;
  /** Attention kernel at every site; default `fused` (com.microsoft MultiHeadAttention). */
  kernel?: AttentionKernel;
  /**
   * One session per (batch, h, w, tokens) with those sizes baked in, instead of one session
   * with symbolic dimensions for every size. Measured no faster on CPU (see README of this
   * folder's report); kept for providers that want static shapes.
   */
  fixedShapes?: boolean;
  cache?: SessionCache;
  /** LoRAs on the UNet's layers (`lora/bind.ts`): their multipliers are feeds, not graph. */
  lora?: LoraBinding;
}

/** The LDM UNet as a Denoiser, plus the array-level calls its own tests and the bench use. */
export interface UNetRunner extends Denoiser {
  readonly config: UNetConfig;
  /** The attention sites (symbolic token counts). */
  readonly sites: UNetSites;
  /** `run` on plain arrays: x [B, C, h, w], context [B, T, D]; returns the output values. */
  evaluate(x: Float32Array, xDims: readonly number[], t: readonly number[], context: Float32Array, contextDims: readonly number[], step?: DenoiserStep): Promise<Float32Array>;
  evaluateDetailed(x: Float32Array, xDims: readonly number[], t: readonly number[], context: Float32Array, contextDims: readonly number[], step?: DenoiserStep): Promise<DenoiserResult>;
  /** Compiles (or fetches) the session for these sizes without running it. */
  session(batch: number, height: number, width: number, tokens: number): Promise<CompiledSession>;
}

/** The UNet as a backbone the shared graph denoiser runs. */
function unetNetwork(spec: UNetSpec, kernel: AttentionKernel, lora?: LoraBinding): DenoiserNetwork {
  const config = spec.unet;
  const w = spec.weights.scope(UNET_PREFIX).withAdapters(lora?.adapters);
  return {
    architecture: `unet:${spec.family}`,
    label: 'UNet',
    checkpoint: checkpointIdentity(w.files()),
    inChannels: config.inChannels,
    latentChannels: config.outChannels,
    contextDim: config.contextDim,
    sites: unetSites(config, {}, w.prefix),
    signature: `kernel=${kernel}${lora ? `;${lora.signature}` : ''}`,
    build: (computeType, chain, extent) => buildUNetGraph(computeType, w, config, chain, { kernel, extent }),
    feeds(x, t, c) {
      const [B, C, h, wd] = checkInputs(config, x.data, x.dims, t, c.context.data, c.context.dims);
      const feeds: Record<string, HostTensor> = {
        x: { data: x.data, dims: [B, C, h, wd] },
        t: { data: Float32Array.from(t), dims: [B] },
        context: { data: c.context.data, dims: [...c.context.dims] },
        ...lora?.feeds(),
      };
      if (config.admInChannels > 0) {
        const micro = spec.family === 'sdxl' ? spec.microConditions : [];
        const y = vectorConditioning(c, micro, config.admInChannels, B, h, wd);
        feeds.y = { data: y.data, dims: [...y.dims] };
      }
      return feeds;
    },
  };
}

/**
 * Builds (or takes from the session cache) the UNet of `spec` with its controllers.
 * Incompatible controllers or sites they refuse fail here, before any graph is built.
 */
export async function loadUNet(spec: UNetSpec, options: LoadUNetOptions = {}): Promise<UNetRunner> {
  const rt = options.runtime ?? {};
  const net = unetNetwork(spec, options.kernel ?? 'fused', options.lora);
  const d = await graphDenoiser(net, {
    controllers: options.controllers,
    runtime: { ...rt, cache: options.cache },
    fixedShapes: options.fixedShapes,
    // With symbolic shapes one session serves every size: compile now so errors surface at load.
    warmUp: { batch: 1, height: 8, width: 8, tokens: 77 },
  });
  const evaluateDetailed: UNetRunner['evaluateDetailed'] = (x, xDims, t, context, contextDims, step) =>
    d.run({ data: x, dims: xDims }, t, { context: { data: context, dims: contextDims } }, step);
  return {
    ...d,
    config: spec.unet,
    sites: net.sites as UNetSites,
    evaluateDetailed,
    evaluate: async (...args) => (await evaluateDetailed(...args)).output,
    withControllers: (controllers) => loadUNet(spec, { ...options, controllers }),
    session: (batch, height, width, tokens) => d.session({ batch, height, width, tokens }),
  };
}

function checkInputs(c: UNetConfig, x: Float32Array, xDims: readonly number[], t: readonly number[], context: Float32Array, contextDims: readonly number[]): number[] {
  const bad = (what: string) => new StudioError('SHAPE_MISMATCH', `UNet: ${what}`, { xDims: [...xDims], contextDims: [...contextDims], t: t.length });
  if (xDims.length !== 4 || xDims.some((d) => !Number.isInteger(d) || d < 1)) throw bad(`x must be [B, C, h, w], got [${xDims.join(', ')}]`);
  const [B, C] = xDims;
  if (C !== c.inChannels) throw bad(`x has ${C} channels, this UNet takes ${c.inChannels}`);
  if (x.length !== xDims.reduce((a, d) => a * d, 1)) throw bad(`x holds ${x.length} values for dims [${xDims.join(', ')}]`);
  if (t.length !== B) throw bad(`${t.length} timesteps for a batch of ${B}`);
  if (contextDims.length !== 3 || contextDims[0] !== B || contextDims[2] !== c.contextDim) {
    throw bad(`context must be [${B}, tokens, ${c.contextDim}], got [${contextDims.join(', ')}]`);
  }
  if (context.length !== contextDims.reduce((a, d) => a * d, 1)) throw bad(`context holds ${context.length} values for dims [${contextDims.join(', ')}]`);
  return [...xDims];
}
