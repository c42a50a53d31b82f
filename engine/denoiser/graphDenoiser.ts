import { planChain, type ControllerChain } from '../controllers/chain.ts';
import type { AttentionController, StepInfo } from '../controllers/controller.ts';
import type { NetworkSites } from '../controllers/site.ts';
import type { GraphBuilder } from '../graph/builder.ts';
import { assertFinite } from '../graph/finite.ts';
import { Network, type NetworkRuntime } from '../graph/network.ts';
import { type CompiledSession, type HostTensor, runSession } from '../graph/session.ts';
import type { Conditioning, Denoiser, DenoiserResult, DenoiserStep, Tensor } from './denoiser.ts';

/** Sizes a graph is built for when it bakes them in (fixed shapes), else omitted. */
export interface NetworkExtent {
  batch: number;
  height: number;
  width: number;
  tokens: number;
}

/**
 * What a backbone supplies to become a Denoiser: its sites, a graph builder that binds the
 * controller chain at its attention sites, and its own feeds. Everything else — planning the
 * chain, session caching by signature, per-step controller feeds and outputs — is shared.
 */
export interface DenoiserNetwork {
  /** Family and backbone, e.g. `unet:sd1`. */
  readonly architecture: string;
  /** How errors name it: `UNet`, `PixArt transformer`. */
  readonly label: string;
  /** `checkpointIdentity` of the weight files. */
  readonly checkpoint: string;
  readonly inChannels: number;
  readonly latentChannels: number;
  readonly contextDim: number;
  readonly sites: NetworkSites;
  /** Options besides the controllers that change the graph (kernel choice). */
  readonly signature: string;
  /** The whole network as one graph with `chain` bound; output `output`. */
  build(computeType: 'float32' | 'float16', chain: ControllerChain, extent?: NetworkExtent): GraphBuilder;
  /** Checks the inputs (typed errors naming what is wrong) and returns the graph's own feeds. */
  feeds(x: Tensor, t: readonly number[], c: Conditioning): Record<string, HostTensor>;
}

export interface GraphDenoiserOptions {
  controllers?: readonly AttentionController[];
  runtime?: NetworkRuntime;
  /** One session per extent with those sizes baked in, instead of one with symbolic dimensions. */
  fixedShapes?: boolean;
  /** Compiled at load (symbolic shapes only), so build errors surface there. */
  warmUp?: NetworkExtent;
}

export interface GraphDenoiser extends Denoiser {
  /** Compiles (or fetches) the session for these sizes without running it. */
  session(extent: NetworkExtent): Promise<CompiledSession>;
}

/**
 * A Denoiser over any backbone's graph. Incompatible controllers, or sites a controller
 * refuses, fail here — before any graph is built.
 */
export async function graphDenoiser(net: DenoiserNetwork, options: GraphDenoiserOptions = {}): Promise<GraphDenoiser> {
  const chain = planChain(options.controllers ?? [], net.sites);
  const network = new Network(net.checkpoint, net.architecture, options.runtime);
  const signature = `${net.signature};controllers=${chain.signature()}`;
  const session = (e: NetworkExtent) =>
    network.session({
      signature,
      ...(options.fixedShapes ? { shapes: `${e.batch}x${e.height}x${e.width}x${e.tokens}` } : {}),
      build: (computeType) => net.build(computeType, chain, options.fixedShapes ? e : undefined),
    });
  if (!options.fixedShapes && options.warmUp) await session(options.warmUp);

  const run = async (x: Tensor, t: readonly number[], c: Conditioning, step?: DenoiserStep): Promise<DenoiserResult> => {
    const feeds = net.feeds(x, t, c);
    const [B, , h, w] = x.dims;
    const s = await session({ batch: B, height: h, width: w, tokens: c.context.dims[1] });
    const info: StepInfo = { index: step?.index ?? 0, count: step?.count ?? 1, timesteps: step?.timesteps ?? [...t], latent: { height: h, width: w } };
    if (!chain.isEmpty) Object.assign(feeds, chain.feeds(info));
    const { output, ...extras } = await runSession(s, feeds);
    // Damaged weights would otherwise give an all-black image and report success.
    assertFinite(output.data, net.label);
    if (!chain.isEmpty) chain.receive(info, extras);
    return { output: output.data as Float32Array, dims: [...output.dims], extras };
  };

  return {
    architecture: net.architecture,
    inChannels: net.inChannels,
    latentChannels: net.latentChannels,
    contextDim: net.contextDim,
    sites: net.sites,
    chain,
    run,
    withControllers: (controllers) => graphDenoiser(net, { ...options, controllers }),
    session,
  };
}
