import type { Dim, GraphBuilder, Value } from '../graph/builder.ts';
import type { DType } from '../graph/dtypes.ts';
import type { AttentionKernel } from '../graph/ops/attention.ts';
import type { HostTensor } from '../graph/session.ts';
import type { AttentionSite, BlockSite, NetworkSites, SubLayer } from './site.ts';

/** Packed-head projections of one attention call: q [B, S, H·d], k [B, L, H·d], v [B, L, H·dv]. */
export interface QKV {
  readonly q: Value;
  readonly k: Value;
  readonly v: Value;
}

export interface AttendOptions {
  /** Logit scale; default dimHead^-0.5 (style injection's temperature changes it). */
  scale?: number;
}

/** Computes attention for the site: the next controller's replacement, or finally the kernel. */
export type Attend = (qkv: QKV, opts?: AttendOptions) => Value;

/** A per-step tensor the controller feeds (blend weights, token maps, image embeddings...). */
export interface ControllerInput {
  /** Unique within the controller; the graph input is named `<controller>/<name>`. */
  readonly name: string;
  readonly dtype: DType;
  /** May use the network's named dimensions (`batch`, `h`, `w`, `tokens`). */
  readonly dims: readonly Dim[];
  readonly meaning?: string;
}

/** A tensor the graph returns for the controller (attention maps, masks); named `<controller>/<name>`. */
export interface ControllerOutput {
  readonly name: string;
  readonly meaning?: string;
}

/** The controllers the engine has; conflicts name them. */
export type ControllerName = 'tome' | 'p2p' | 'attention-store' | 'style-injection' | 'ip-adapter';

/** What a controller may hold exclusively in one network. */
export type Resource =
  /** The batch carries branches in a declared order (source/target, content/style/stylised). */
  | 'batch-layout'
  /** The self-attention token count is changed (merged). */
  | 'self-attention-tokens'
  /** The cross-attention query count is changed. */
  | 'cross-attention-tokens';

/** Why two controllers cannot share one network; checked before anything is built. */
export type Conflict =
  | { readonly kind: 'claims'; readonly resource: Resource }
  | { readonly kind: 'excludes'; readonly controller: ControllerName; readonly reason: string };

/** Where the sampler is, told by the pipeline through the model function — never inferred by counting calls. */
export interface StepInfo {
  /** 0-based step index in sampling (or inversion) order. */
  readonly index: number;
  readonly count: number;
  /** The timestep of each batch entry in this call. */
  readonly timesteps: readonly number[];
  /** The latent grid of this call, [h, w] cells. */
  readonly latent: { readonly height: number; readonly width: number };
}

/** What build-time hooks may use besides the site: the graph and the controller's own inputs/outputs. */
export interface ControllerGraphContext {
  readonly g: GraphBuilder;
  /** Kernel the network asked for; `explicit` when maps must be materialised anyway. */
  readonly kernel: AttentionKernel;
  /** One of this controller's declared inputs (created once, shared by every site). */
  input(name: string): Value;
  /** Emits one of this controller's declared outputs; each must be emitted exactly once per build. */
  output(name: string, value: Value): void;
  /** softmax(Q·Kᵀ·scale) per head, [B, H, S, L], for controllers that read or edit maps. */
  probs(site: AttentionSite, q: Value, k: Value, scale?: number): Value;
  /** probs [B, H, S, L] · v → [B, S, H·dv]. */
  applyProbs(site: AttentionSite, probs: Value, v: Value): Value;
  /** A value made once per build and key (a block's token match, the maps collected so far). */
  memo<T>(key: string, make: () => T): T;
}

/** One sub-layer call inside a block, for `wrapSubLayer`. */
export interface SubLayerCall {
  readonly block: BlockSite;
  readonly layer: SubLayer;
  /** The block's input tokens [B, N, C] (before any norm), e.g. for a match shared by the block's sub-layers. */
  readonly blockInput: Value;
  /** Runtime [h, w] (int64 [2]) of the token grid. */
  grid(): Value;
}

/**
 * A controller's plan for one network: an immutable value computed from the sites and the
 * request, holding everything that shapes the graph (signature, inputs, outputs, build hooks)
 * and the per-step feeds. Planning has no side effects; refusing a network throws a StudioError.
 */
export interface ControllerPlan {
  /** Unique in a chain; prefixes its graph inputs and outputs. */
  readonly name: string;
  /**
   * Composition order: lower runs first — its `transformQKV` sees the raw projections, its
   * `replaceAttention` and `wrapSubLayer` are outermost. Ties keep the order given.
   */
  readonly priority: number;
  readonly conflicts: readonly Conflict[];
  /** Everything about this plan that changes the graph; part of the session-cache key. */
  readonly signature: string;
  readonly inputs: readonly ControllerInput[];
  readonly outputs: readonly ControllerOutput[];

  /** Sites the attention hooks act on; default all. */
  appliesTo?(site: AttentionSite): boolean;
  /** Rewrites the projections before attention (token maps on V, reweighting, batch mixing). */
  transformQKV?(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV): QKV;
  /**
   * Computes the attention itself; call `next` for the default (or the next controller's).
   * `opts` are what an outer replacement asked for (a logit scale); pass them on.
   */
  replaceAttention?(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, next: Attend, opts: AttendOptions): Value;
  /**
   * Wraps one sub-layer: gets its input tokens [B, N, C] (after the block's norm and
   * modulation), returns its output; `next(x)` runs it unchanged. Residuals and gates stay the block's.
   */
  wrapSubLayer?(ctx: ControllerGraphContext, call: SubLayerCall, x: Value, next: (x: Value) => Value): Value;
  /** Called once after the network is built (aggregate maps into outputs here). */
  finish?(ctx: ControllerGraphContext): void;

  /** Per-step feeds for the declared inputs, by unprefixed name. */
  feeds?(step: StepInfo): Record<string, HostTensor>;
  /** Per-step values of the declared outputs, by unprefixed name. */
  receive?(step: StepInfo, outputs: Record<string, HostTensor>): void;
}

/** A controller as a request makes it: plans itself against any network's sites. */
export interface AttentionController {
  readonly name: string;
  plan(sites: NetworkSites): ControllerPlan;
}

/** The default composition priority of a plan that states none. */
export const DEFAULT_PRIORITY = 100;
