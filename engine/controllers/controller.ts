import type { Dim, GraphBuilder, Value } from '../graph/builder.ts';
import type { DType } from '../graph/dtypes.ts';
import type { AttentionKernel } from '../graph/ops/attention.ts';
import type { HostTensor } from '../graph/session.ts';
import type { AttentionSite, TransformerBlockSite } from './site.ts';

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
  /** May use the network's named dimensions (the UNet's: `batch`, `h`, `w`, `tokens`). */
  readonly dims: readonly Dim[];
  readonly meaning?: string;
}

/** A tensor the graph returns for the controller (attention maps, masks); named `<controller>/<name>`. */
export interface ControllerOutput {
  readonly name: string;
  readonly meaning?: string;
}

/** Where the sampler is, told by the pipeline — controllers never infer it by counting calls. */
export interface StepInfo {
  /** 0-based step index in sampling order. */
  readonly index: number;
  readonly count: number;
  /** The timestep of each batch entry in this call. */
  readonly timesteps: readonly number[];
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
}

/**
 * The sub-layers of one transformer block, each with its weights bound, for `wrapBlock`
 * (token merging wraps attn1/attn2/ff with merge/unmerge around the norms' outputs).
 * Inputs and outputs are token sequences [B, N, C]; residual adds are the wrapper's job.
 */
export interface TransformerBlockParts {
  readonly site: TransformerBlockSite;
  /** Runtime [h, w] (int64 [2]) of the token grid, for controllers that need its geometry. */
  grid(): Value;
  norm1(x: Value): Value;
  attn1(x: Value): Value;
  norm2(x: Value): Value;
  attn2(x: Value): Value;
  norm3(x: Value): Value;
  ff(x: Value): Value;
}

/**
 * A graph plugin (DESIGN D2). Every hook is optional; a controller that defines none leaves
 * the graph unchanged. Build-time hooks run once while the graph is built; `feeds` and
 * `receive` run per sampling step.
 */
export interface AttentionController {
  /** Unique in a chain; prefixes its graph inputs and outputs. */
  readonly name: string;
  /**
   * Composition order: lower runs first — its `transformQKV` sees the raw projections, its
   * `replaceAttention` and `wrapBlock` are outermost. Ties keep the order given. Default 100.
   */
  readonly priority?: number;
  /**
   * Resources held exclusively, e.g. `batch-layout` (the batch carries branches in a declared
   * order) or `self-attention-tokens` (the token count is changed). Two controllers claiming
   * one resource are refused before anything is built.
   */
  readonly claims?: readonly string[];
  /** Names of controllers this one cannot run with. */
  readonly incompatibleWith?: readonly string[];

  /** Everything about this controller that changes the graph; part of the session-cache key. */
  signature(): string;
  /** Sites the attention hooks act on; default all. */
  appliesTo?(site: AttentionSite): boolean;
  /** Sees every site before the build; throws a StudioError to refuse the network. */
  checkSites?(sites: readonly AttentionSite[]): void;
  inputs?(): readonly ControllerInput[];
  outputs?(): readonly ControllerOutput[];

  /** Rewrites the projections before attention (token maps on V, reweighting, batch mixing). */
  transformQKV?(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV): QKV;
  /**
   * Computes the attention itself; call `next` for the default (or the next controller's).
   * `opts` are what an outer replacement asked for (a logit scale); pass them on.
   */
  replaceAttention?(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, next: Attend, opts: AttendOptions): Value;
  /** Wraps a whole transformer block on tokens [B, N, C]; `next(x)` runs it unchanged. */
  wrapBlock?(ctx: ControllerGraphContext, block: TransformerBlockParts, x: Value, next: (x: Value) => Value): Value;
  /** Called once after the network is built (aggregate maps into outputs here). */
  finish?(ctx: ControllerGraphContext): void;

  /** Per-step feeds for the declared inputs, by unprefixed name. */
  feeds?(step: StepInfo): Record<string, HostTensor>;
  /** Per-step values of the declared outputs, by unprefixed name. */
  receive?(step: StepInfo, outputs: Record<string, HostTensor>): void;
}
