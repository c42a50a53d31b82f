import type { GraphBuilder } from './builder.ts';
import type { PlacementOptions } from './placement.ts';
import type { ProviderPreference } from './provider.ts';
import type { WeightCastMode, WeightCastPolicy } from './weightCast.ts';
import { type CompiledSession, type HostTensor, type RuntimeOptions, type SessionCache, runSession, sessionCache } from './session.ts';

/** How a network's sessions are made: the onnxruntime options and the cache that owns them. */
export interface NetworkRuntime {
  /** onnxruntime intra-op threads (default: LATENT_STUDIO_THREADS, else one per core). */
  threads?: number;
  provider?: ProviderPreference;
  placement?: PlacementOptions;
  /** false returns activations to the OS after each run (large one-off graphs such as the VAE). */
  memArena?: boolean;
  /** Where fp16 weights become float32 (graph/weightCast.ts); default fp16 in memory, cast per layer. */
  weightCast?: WeightCastPolicy | WeightCastMode;
  /** Session cache to use; default the process-wide one. */
  cache?: SessionCache;
}

/** One graph of a network: what makes it differ from the network's other graphs, and how to build it. */
export interface NetworkGraph {
  /** Options that change the graph (layers run, kernel, outputs); part of the cache key. */
  readonly signature?: string;
  /** Fixed input shapes, when the graph bakes them in. */
  readonly shapes?: string;
  build(computeType: 'float32' | 'float16'): GraphBuilder | Promise<GraphBuilder>;
}

export function sessionOptions(rt: NetworkRuntime): RuntimeOptions {
  return {
    ...(rt.threads ? { intraOpNumThreads: rt.threads } : {}),
    ...(rt.provider ? { provider: rt.provider } : {}),
    ...(rt.placement ? { placement: rt.placement } : {}),
    ...(rt.memArena === false ? { memArena: false } : {}),
    ...(rt.weightCast ? { weightCast: rt.weightCast } : {}),
  };
}

/**
 * One network of a checkpoint (a text encoder, a VAE half, an adapter, a denoiser): every
 * graph of it is compiled once per signature through the session cache, then run on named
 * feeds. The one place that turns "build, cache, run" into code.
 */
export class Network {
  constructor(
    readonly checkpoint: string,
    readonly architecture: string,
    private readonly runtime: NetworkRuntime = {},
  ) {}

  session(graph: NetworkGraph): Promise<CompiledSession> {
    const key = { checkpoint: this.checkpoint, architecture: this.architecture, signature: graph.signature, ...(graph.shapes ? { shapes: graph.shapes } : {}) };
    return (this.runtime.cache ?? sessionCache).get(key, (ctx) => graph.build(ctx.computeType), sessionOptions(this.runtime));
  }

  async run(graph: NetworkGraph, feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    return runSession(await this.session(graph), feeds, outputs);
  }
}
