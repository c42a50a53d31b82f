import { StudioError } from '../../api/errors.ts';
import type { Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { AttentionController, ControllerGraphContext, ControllerInput, StepInfo, TransformerBlockParts } from '../controller.ts';
import type { AttentionSite } from '../site.ts';
import { bipartiteSoftMatching, type MatchInputs, type TokenMerge } from './bipartite.ts';
import { type TokenMergingOptions, resolveTokenMerging } from './options.ts';
import { partitionTokens, protectAtGrid, seededRandom } from './partition.ts';

export const TOME_CONTROLLER = 'tome';
/** Large enough to lose against any cosine similarity (|s| ≤ 1), small enough for fp16. */
const PROTECT_BIAS = -1e4;

export interface TokenMergingRuntime {
  /** Latent size the feeds are made for; `setLatentSize` changes it between runs. */
  latent?: { height: number; width: number };
  /**
   * Inpainting: latent-resolution mask, 1 where tokens must not merge (the region being
   * regenerated keeps full detail). Changes the graph (bias inputs), not just the feeds.
   */
  protect?: Uint8Array;
}

interface MergingBlock {
  /** Checkpoint path of the transformer block. */
  path: string;
  /** Position among merging blocks; names its inputs `b<i>.*`. */
  index: number;
  resolution: number;
}

/**
 * ToMe for SD as a graph plugin (DESIGN D2, ALGORITHMS §2): `wrapBlock` computes the match
 * once per block on the block input and wraps the chosen sub-layers with merge/unmerge.
 * The destination choice and r arrive per step as index inputs, so the graph depends only
 * on max_downsample, the merged sub-layers and mask protection — a ratio slider changes
 * feeds, not the compiled session.
 */
export class TokenMerging implements AttentionController {
  readonly name = TOME_CONTROLLER;
  /** Outermost block wrapper: other controllers' hooks run on merged tokens inside it. */
  readonly priority = 10;
  /**
   * The self-attention token count changes (and the cross-attention query count when attn2
   * merges): a controller that reads or swaps those maps cannot share the network.
   */
  readonly claims: readonly string[];
  /**
   * Prompt-to-prompt injects the source branch's self-attention maps into the target branch
   * and blends cross-attention maps across the batch; with merging every batch entry has its
   * own merged token set (scores are per batch element), so those maps no longer line up.
   * The attention-map store reads cross-attention maps per pixel: refused when attn2 merges.
   */
  readonly incompatibleWith: readonly string[];
  readonly options: TokenMergingOptions;
  private blocks: MergingBlock[] | undefined;
  private latent: { height: number; width: number } | undefined;
  private readonly protect: Uint8Array | undefined;

  constructor(options: Partial<TokenMergingOptions> & { ratio: number }, runtime: TokenMergingRuntime = {}) {
    this.options = resolveTokenMerging(options);
    const cross = this.options.merge.includes('attn2');
    this.claims = cross ? ['self-attention-tokens', 'cross-attention-tokens'] : ['self-attention-tokens'];
    this.incompatibleWith = cross ? ['p2p', 'attention-store'] : ['p2p'];
    this.latent = runtime.latent;
    this.protect = runtime.protect;
    if (this.protect && this.latent && this.protect.length !== this.latent.height * this.latent.width) {
      throw new StudioError('INVALID_REQUEST', `Token merging: protect mask has ${this.protect.length} values for a ${this.latent.width}×${this.latent.height} latent`);
    }
  }

  /** Feeds are made for this latent size from now on (one controller serves every size). */
  setLatentSize(height: number, width: number): void {
    this.latent = { height, width };
  }

  signature(): string {
    const o = this.options;
    return `md=${o.maxDownsample};merge=${o.merge.join('+')}${this.protect ? ';protect' : ''}`;
  }

  checkSites(sites: readonly AttentionSite[]): void {
    const blocks: MergingBlock[] = [];
    const finest = Math.min(...sites.filter((s) => s.kind === 'self').map((s) => s.resolution));
    for (const s of sites) {
      if (s.kind !== 'self' || s.resolution > finest * this.options.maxDownsample) continue;
      blocks.push({ path: s.path.replace(/\.attn1$/, ''), index: blocks.length, resolution: s.resolution });
    }
    this.blocks = blocks;
  }

  inputs(): readonly ControllerInput[] {
    return this.merging().flatMap((b) => {
      const p = `b${b.index}`;
      const list: ControllerInput[] = [
        { name: `${p}.dst`, dtype: 'int64', dims: [`tome_${p}_dst`], meaning: 'destination token indices' },
        { name: `${p}.src`, dtype: 'int64', dims: [`tome_${p}_src`], meaning: 'source token indices' },
        { name: `${p}.r`, dtype: 'int64', dims: [1], meaning: 'sources merged' },
      ];
      if (this.protect) {
        list.push({ name: `${p}.srcBias`, dtype: 'float32', dims: [`tome_${p}_src`], meaning: '0 or −1e4 (protected source)' });
        list.push({ name: `${p}.dstBias`, dtype: 'float32', dims: [`tome_${p}_dst`], meaning: '0 or −1e4 (protected destination)' });
      }
      return list;
    });
  }

  wrapBlock(ctx: ControllerGraphContext, block: TransformerBlockParts, x: Value, next: (x: Value) => Value): Value {
    const mine = this.merging().find((b) => b.path === block.site.path);
    // Ratio 0 still takes the merge path (an exact permutation); tokenMergingControllers leaves the controller out instead.
    if (!mine) return next(x);
    const { g } = ctx;
    const p = `b${mine.index}`;
    const inputs: MatchInputs = {
      dst: ctx.input(`${p}.dst`), src: ctx.input(`${p}.src`), r: ctx.input(`${p}.r`),
      ...(this.protect ? { srcBias: ctx.input(`${p}.srcBias`), dstBias: ctx.input(`${p}.dstBias`) } : {}),
    };
    return g.within(`${block.site.path}/tome`, () => {
      // tomesd computes the match on the block input (before norm1) and reuses it for all three sub-layers.
      const m: TokenMerge = bipartiteSoftMatching(g, x, inputs);
      const wrap = (on: boolean, f: (t: Value) => Value) => (t: Value) => (on ? m.unmerge(f(m.merge(t))) : f(t));
      const merged = this.options.merge;
      let h = op.add(g, wrap(merged.includes('attn1'), block.attn1)(block.norm1(x)), x);
      h = op.add(g, wrap(merged.includes('attn2'), block.attn2)(block.norm2(h)), h);
      return op.add(g, wrap(merged.includes('ff'), block.ff)(block.norm3(h)), h);
    });
  }

  feeds(step: StepInfo): Record<string, HostTensor> {
    if (!this.latent) throw new StudioError('RUNTIME_FAILURE', 'Token merging: the latent size was not set before the run');
    const { height: H, width: W } = this.latent;
    const o = this.options;
    // tomesd turns randomness off for odd batches; a new draw per step and block, reproducible from the seed.
    const random = o.useRand && step.timesteps.length % 2 === 0;
    const t0 = Math.round((step.timesteps[0] ?? 0) * 1000);
    const out: Record<string, HostTensor> = {};
    for (const b of this.merging()) {
      const h = Math.ceil(H / b.resolution);
      const w = Math.ceil(W / b.resolution);
      const part = partitionTokens({
        h, w, sx: o.sx, sy: o.sy, ratio: o.ratio,
        random: random ? seededRandom(o.seed, step.index, t0, b.index) : undefined,
        protect: this.protect ? protectAtGrid(this.protect, H, W, h, w) : undefined,
      });
      const p = `b${b.index}`;
      out[`${p}.dst`] = { data: BigInt64Array.from(part.dst, BigInt), dims: [part.dst.length] };
      out[`${p}.src`] = { data: BigInt64Array.from(part.src, BigInt), dims: [part.src.length] };
      out[`${p}.r`] = { data: BigInt64Array.of(BigInt(part.r)), dims: [1] };
      if (this.protect) {
        out[`${p}.srcBias`] = { data: Float32Array.from(part.srcProtected!, (v) => v * PROTECT_BIAS), dims: [part.src.length] };
        out[`${p}.dstBias`] = { data: Float32Array.from(part.dstProtected!, (v) => v * PROTECT_BIAS), dims: [part.dst.length] };
      }
    }
    return out;
  }

  private merging(): MergingBlock[] {
    if (!this.blocks) throw new StudioError('RUNTIME_FAILURE', 'Token merging: sites were not checked before the build');
    return this.blocks;
  }
}

/**
 * The controllers a request's token-merging settings need: none when off or at ratio 0, so
 * ratio 0 is the very same graph and output as merging off.
 */
export function tokenMergingControllers(options: (Partial<TokenMergingOptions> & { ratio: number }) | undefined, runtime: TokenMergingRuntime = {}): TokenMerging[] {
  if (!options || options.ratio === 0) return [];
  return [new TokenMerging(options, runtime)];
}
