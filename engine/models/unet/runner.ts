import { StudioError } from '../../api/errors.ts';
import { planChain } from '../../controllers/chain.ts';
import type { AttentionController, StepInfo } from '../../controllers/controller.ts';
import type { Conditioning, Denoiser, DenoiserResult, DenoiserStep, Tensor } from '../../denoiser/denoiser.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import type { PlacementOptions } from '../../graph/placement.ts';
import type { ProviderPreference } from '../../graph/provider.ts';
import { type CompiledSession, type HostTensor, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import type { StableDiffusionSpec, UNetConfig } from '../spec.ts';
import { buildUNetGraph } from './graph.ts';
import { type UNetSites, unetSites } from './sites.ts';

const UNET_PREFIX = 'model.diffusion_model';

export interface UNetRuntimeOptions {
  threads?: number;
  provider?: ProviderPreference;
  placement?: PlacementOptions;
}

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

/**
 * Builds (or takes from the session cache) the UNet of `spec` with a controller chain.
 * Incompatible controllers or sites they refuse fail here, before any graph is built.
 */
export async function loadUNet(spec: StableDiffusionSpec, options: LoadUNetOptions = {}): Promise<UNetRunner> {
  const config = spec.unet;
  const w = spec.weights.scope(UNET_PREFIX);
  const sites = unetSites(config, {}, w.prefix);
  const chain = planChain(options.controllers ?? [], sites);
  const kernel = options.kernel ?? 'fused';
  const cache = options.cache ?? sessionCache;
  const rt = options.runtime ?? {};
  const key = {
    checkpoint: checkpointIdentity(w.files()),
    architecture: `unet:${spec.family}`,
    signature: `kernel=${kernel};controllers=${chain.signature()}`,
  };
  const runtime = { provider: rt.provider, intraOpNumThreads: rt.threads, placement: rt.placement };

  const session = (batch: number, height: number, width: number, tokens: number) => {
    const extent = options.fixedShapes ? { batch, height, width, tokens } : undefined;
    return cache.get(
      { ...key, ...(extent ? { shapes: `${batch}x${height}x${width}x${tokens}` } : {}) },
      (ctx) => buildUNetGraph(ctx.computeType, w, config, chain, { kernel, extent }),
      runtime,
    );
  };
  // With symbolic shapes one session serves every size: compile now so errors surface at load.
  if (!options.fixedShapes) await session(1, 8, 8, 77);

  const evaluateDetailed: UNetRunner['evaluateDetailed'] = async (x, xDims, t, context, contextDims, step) => {
    const [B, C, h, wd] = checkInputs(config, x, xDims, t, context, contextDims);
    const s = await session(B, h, wd, contextDims[1]);
    const feeds: Record<string, HostTensor> = {
      x: { data: x, dims: [B, C, h, wd] },
      t: { data: Float32Array.from(t), dims: [B] },
      context: { data: context, dims: [...contextDims] },
    };
    const info: StepInfo = { index: step?.index ?? 0, count: step?.count ?? 1, timesteps: step?.timesteps ?? [...t], latent: { height: h, width: wd } };
    if (!chain.isEmpty) Object.assign(feeds, chain.feeds(info));
    const out = await runSession(s, feeds);
    const { output, ...extras } = out;
    if (!chain.isEmpty) chain.receive(info, extras);
    return { output: output.data as Float32Array, dims: [...output.dims], extras };
  };

  return {
    architecture: `unet:${spec.family}`,
    inChannels: config.inChannels,
    latentChannels: config.outChannels,
    contextDim: config.contextDim,
    config,
    sites,
    chain,
    evaluateDetailed,
    evaluate: async (...args) => (await evaluateDetailed(...args)).output,
    run: (x: Tensor, t: readonly number[], c: Conditioning, step?: DenoiserStep) => evaluateDetailed(x.data, x.dims, t, c.context.data, c.context.dims, step),
    withControllers: (controllers) => loadUNet(spec, { ...options, controllers }),
    session,
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
