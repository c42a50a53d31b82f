import { StudioError } from '../../api/errors.ts';
import type { Value } from '../../graph/builder.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { AttentionController, Conflict, ControllerGraphContext, ControllerInput, ControllerPlan, StepInfo, SubLayerCall } from '../controller.ts';
import { type NetworkSites, finestDownsample } from '../site.ts';
import { bipartiteSoftMatching, type MatchInputs, type TokenMerge } from './bipartite.ts';
import { type TokenMergingOptions, resolveTokenMerging } from './options.ts';
import { partitionTokens, protectAtGrid, seededRandom } from './partition.ts';

export const TOME_CONTROLLER = 'tome';
/** Large enough to lose against any cosine similarity (|s| ≤ 1), small enough for fp16. */
const PROTECT_BIAS = -1e4;

export interface TokenMergingRuntime {
  /**
   * Inpainting: latent-resolution mask, 1 where tokens must not merge (the region being
   * regenerated keeps full detail). Changes the graph (bias inputs), not just the feeds.
   */
  protect?: Uint8Array;
}

interface MergingBlock {
  /** Checkpoint path of the block. */
  path: string;
  /** Position among merging blocks; names its inputs `b<i>.*`. */
  index: number;
  downsample: number;
}

/**
 * ToMe for SD as a graph plugin (DESIGN D2, ALGORITHMS §2): the match is computed once per
 * block on the block's input and the chosen sub-layers run between merge and unmerge; the
 * block's own residuals (and, on a DiT, its modulation and gates) apply to unmerged tokens.
 * The destination choice and r arrive per step as index inputs, so the graph depends only
 * on max_downsample, the merged sub-layers and mask protection — a ratio slider changes
 * feeds, not the compiled session.
 */
export class TokenMerging implements AttentionController {
  readonly name = TOME_CONTROLLER;
  readonly options: TokenMergingOptions;
  private readonly protect: Uint8Array | undefined;

  constructor(options: Partial<TokenMergingOptions> & { ratio: number }, runtime: TokenMergingRuntime = {}) {
    this.options = resolveTokenMerging(options);
    this.protect = runtime.protect;
  }

  plan(sites: NetworkSites): ControllerPlan {
    const o = this.options;
    const protect = this.protect;
    const finest = finestDownsample(sites.attention, 'self');
    const blocks: MergingBlock[] = sites.blocks
      .filter((b) => b.grid.downsample <= finest * o.maxDownsample)
      .map((b, index) => ({ path: b.path, index, downsample: b.grid.downsample }));
    const byPath = new Map(blocks.map((b) => [b.path, b]));
    const cross = o.merge.includes('attn2');
    const misaligned = 'each batch entry gets its own merged token set, so attention maps of different entries would not line up';
    const conflicts: Conflict[] = [
      { kind: 'claims', resource: 'self-attention-tokens' },
      { kind: 'excludes', controller: 'p2p', reason: `${misaligned}; set the token merging ratio to 0 to edit` },
      ...(cross
        ? [{ kind: 'claims', resource: 'cross-attention-tokens' } as const, { kind: 'excludes', controller: 'attention-store', reason: 'cross-attention maps are read per pixel, and attn2 merges them' } as const]
        : []),
    ];
    const inputs = blocks.flatMap((b) => {
      const p = `b${b.index}`;
      const list: ControllerInput[] = [
        { name: `${p}.dst`, dtype: 'int64', dims: [`tome_${p}_dst`], meaning: 'destination token indices' },
        { name: `${p}.src`, dtype: 'int64', dims: [`tome_${p}_src`], meaning: 'source token indices' },
        { name: `${p}.r`, dtype: 'int64', dims: [1], meaning: 'sources merged' },
      ];
      if (protect) {
        list.push({ name: `${p}.srcBias`, dtype: 'float32', dims: [`tome_${p}_src`], meaning: '0 or −1e4 (protected source)' });
        list.push({ name: `${p}.dstBias`, dtype: 'float32', dims: [`tome_${p}_dst`], meaning: '0 or −1e4 (protected destination)' });
      }
      return list;
    });

    return Object.freeze({
      name: TOME_CONTROLLER,
      // Outermost sub-layer wrapper: other controllers' hooks run on merged tokens inside it.
      priority: 10,
      conflicts,
      signature: `md=${o.maxDownsample};merge=${o.merge.join('+')}${protect ? ';protect' : ''}`,
      inputs,
      outputs: [],
      wrapSubLayer(ctx: ControllerGraphContext, call: SubLayerCall, x: Value, next: (x: Value) => Value): Value {
        const mine = byPath.get(call.block.path);
        // Ratio 0 still takes the merge path (an exact permutation); tokenMergingControllers leaves the controller out instead.
        if (!mine || !o.merge.includes(call.layer)) return next(x);
        const { g } = ctx;
        const p = `b${mine.index}`;
        // tomesd computes the match on the block input (before norm1) and reuses it for all three sub-layers.
        const m = ctx.memo(mine.path, () => g.within(`${mine.path}/tome`, (): TokenMerge => {
          const inputs: MatchInputs = {
            dst: ctx.input(`${p}.dst`), src: ctx.input(`${p}.src`), r: ctx.input(`${p}.r`),
            ...(protect ? { srcBias: ctx.input(`${p}.srcBias`), dstBias: ctx.input(`${p}.dstBias`) } : {}),
          };
          return bipartiteSoftMatching(g, call.blockInput, inputs);
        }));
        return m.unmerge(next(m.merge(x)));
      },
      feeds(step: StepInfo): Record<string, HostTensor> {
        const { height: H, width: W } = step.latent;
        if (protect && protect.length !== H * W) {
          throw new StudioError('INVALID_REQUEST', `Token merging: protect mask has ${protect.length} values for a ${W}×${H} latent`);
        }
        // tomesd turns randomness off for odd batches; a new draw per step and block, reproducible from the seed.
        const random = o.useRand && step.timesteps.length % 2 === 0;
        const t0 = Math.round((step.timesteps[0] ?? 0) * 1000);
        const out: Record<string, HostTensor> = {};
        for (const b of blocks) {
          const h = Math.ceil(H / b.downsample);
          const w = Math.ceil(W / b.downsample);
          const part = partitionTokens({
            h, w, sx: o.sx, sy: o.sy, ratio: o.ratio,
            random: random ? seededRandom(o.seed, step.index, t0, b.index) : undefined,
            protect: protect ? protectAtGrid(protect, H, W, h, w) : undefined,
          });
          const p = `b${b.index}`;
          out[`${p}.dst`] = { data: BigInt64Array.from(part.dst, BigInt), dims: [part.dst.length] };
          out[`${p}.src`] = { data: BigInt64Array.from(part.src, BigInt), dims: [part.src.length] };
          out[`${p}.r`] = { data: BigInt64Array.of(BigInt(part.r)), dims: [1] };
          if (protect) {
            out[`${p}.srcBias`] = { data: Float32Array.from(part.srcProtected!, (v) => v * PROTECT_BIAS), dims: [part.src.length] };
            out[`${p}.dstBias`] = { data: Float32Array.from(part.dstProtected!, (v) => v * PROTECT_BIAS), dims: [part.dst.length] };
          }
        }
        return out;
      },
    });
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
