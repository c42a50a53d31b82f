import { StudioError } from '../../api/errors.ts';
import type { Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { Attend, AttendOptions, AttentionController, ControllerGraphContext, ControllerInput, ControllerPlan, QKV, StepInfo } from '../controller.ts';
import type { AttentionSite } from '../site.ts';
import { type BranchLayout, layoutSignature } from './layout.ts';
import { type EditPlan, crossFeeds, selfFeed } from './plan.ts';
import { sumOverSites } from '../attentionStore/sumMaps.ts';

export interface PromptToPromptOptions {
  plan: EditPlan;
  layout: BranchLayout;
  /**
   * Self-attention of the target follows the source's at sites at least this many times
   * coarser than the latent: 4 is the reference's "P ≤ 16² at 512 px"; 2 adds the
   * latent/2 layers as the null-text/PnP variant does.
   */
  selfReplaceFrom?: number;
  /**
   * Also return the target's *edited* cross-attention maps at this resolution (summed over
   * heads and sites) — for checking and showing what an edit does, not needed to edit.
   */
  editedMapsAt?: number;
}

/** Exposed so tests and the map viewer know what `edited_maps` holds. */
export const EDITED_MAPS = 'edited_maps';

/**
 * Prompt-to-prompt (Hertz et al.) as a graph plugin. Every edit is written as fused
 * attentions over transformed values (DESIGN D2): no probability tensor is materialised
 * unless `editedMapsAt` asks for one. Per step the pipeline feeds three small tensors —
 * the 77×77 map L, the 77 keep-weights and the self-replace flag — so the schedule, the
 * words and the weights change feeds, never the graph.
 */
export function promptToPrompt(o: PromptToPromptOptions): AttentionController {
  const { plan, layout } = o;
  const L = plan.length;
  const selfFrom = o.selfReplaceFrom ?? 4;
  if (layout.target !== layout.rows - 1) throw new StudioError('RUNTIME_FAILURE', 'prompt-to-prompt expects the target branch in the last batch row');
  const editedMaps = (ctx: ControllerGraphContext) => ctx.memo('edited_maps', (): Value[] => []);
  const rows = (ctx: ControllerGraphContext, x: Value, start: number, end: number) => op.slice(ctx.g, x, [start], [end], [0]);
  const feed = (ctx: ControllerGraphContext, name: string) => op.cast(ctx.g, ctx.input(name), ctx.g.computeType);

  const hooks = {
    inputs: [
      { name: 'cross_map', dtype: 'float32', dims: [L, L], meaning: 'L = G·diag(τ⊙a⊙c), rows = source token' },
      { name: 'cross_keep', dtype: 'float32', dims: [1, L, 1], meaning: 'τ⊙(1−a)⊙c + (1−τ) per target token' },
      { name: 'self_replace', dtype: 'float32', dims: [1, 1, 1], meaning: '1 while the target takes the source self-attention' },
    ] as ControllerInput[],
    outputs: o.editedMapsAt !== undefined ? [{ name: EDITED_MAPS, meaning: 'target cross-attention after the edit, Σ heads and sites, [1, P, L]' }] : [],

    // Self-attention: attention(Q_src, K_src, V_tgt) for the target while s = 1. Selecting
    // Q and K rows by s·x + (1−s)·y is exact for s ∈ {0, 1}, so one fused call serves all rows.
    transformQKV(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV): QKV {
      if (site.kind !== 'self') return qkv;
      const g = ctx.g;
      const s = feed(ctx, 'self_replace');
      const pick = (x: Value) => {
        const src = rows(ctx, x, layout.source, layout.source + 1);
        const tgt = rows(ctx, x, layout.target, layout.target + 1);
        const mixed = op.add(g, op.mul(g, src, s), op.mul(g, tgt, op.sub(g, g.scalar(1), s)));
        return op.concat(g, [rows(ctx, x, 0, layout.target), mixed], 0);
      };
      return { q: pick(qkv.q), k: pick(qkv.k), v: qkv.v };
    },

    // Cross-attention: Attn(all rows, V with the target's rows scaled by keep) plus, on the
    // target row only, Attn(Q_src, K_src, L·V_tgt). (A·M)·V = A·(M·V) is what makes it fused.
    replaceAttention(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, next: Attend, opts: AttendOptions): Value {
      if (site.kind !== 'cross') return next(qkv, opts);
      const g = ctx.g;
      const { q, k, v } = qkv;
      const vTgt = rows(ctx, v, layout.target, layout.target + 1); // [1, L, C]
      const keep = feed(ctx, 'cross_keep');
      const map = feed(ctx, 'cross_map');
      const vKept = op.concat(g, [rows(ctx, v, 0, layout.target), op.mul(g, vTgt, keep)], 0);
      const plain = next({ q, k, v: vKept }, opts);
      const qSrc = rows(ctx, q, layout.source, layout.source + 1);
      const kSrc = rows(ctx, k, layout.source, layout.source + 1);
      const vMapped = op.matmul(g, map, vTgt); // [L, L]·[1, L, C] → [1, L, C]
      const borrowed = next({ q: qSrc, k: kSrc, v: vMapped }, opts);
      if (o.editedMapsAt === site.grid.downsample) {
        const aSrc = ctx.probs(site, qSrc, kSrc, opts.scale);
        const aTgt = ctx.probs(site, rows(ctx, q, layout.target, layout.target + 1), rows(ctx, k, layout.target, layout.target + 1), opts.scale);
        const keepRow = op.reshape(g, keep, [1, 1, 1, L]);
        const edited = op.add(g, op.matmul(g, aSrc, map), op.mul(g, aTgt, keepRow)); // [1, H, P, L]
        editedMaps(ctx).push(g.op('ReduceSum', [edited, g.ints([1])], { keepdims: 0 }));
      }
      const tgtOut = op.add(g, rows(ctx, plain, layout.target, layout.target + 1), borrowed);
      return op.concat(g, [rows(ctx, plain, 0, layout.target), tgtOut], 0);
    },

    finish(ctx: ControllerGraphContext) {
      if (o.editedMapsAt !== undefined) ctx.output(EDITED_MAPS, op.cast(ctx.g, sumOverSites(ctx.g, editedMaps(ctx)), 'float32'));
    },

    feeds(step: StepInfo): Record<string, HostTensor> {
      const { map, keep } = crossFeeds(plan, step.index);
      return {
        cross_map: { data: map, dims: [L, L] },
        cross_keep: { data: keep, dims: [1, L, 1] },
        self_replace: { data: Float32Array.of(selfFeed(plan, step.index)), dims: [1, 1, 1] },
      };
    },
  };

  return {
    name: 'p2p',
    plan(sites) {
      if (!sites.attention.some((s) => s.kind === 'cross')) throw new StudioError('INVALID_REQUEST', 'Prompt-to-prompt needs a network with text cross-attention');
      if (o.editedMapsAt !== undefined && !sites.attention.some((s) => s.kind === 'cross' && s.grid.downsample === o.editedMapsAt)) {
        throw new StudioError('INVALID_REQUEST', `This network has no cross-attention at 1/${o.editedMapsAt} of the latent`);
      }
      return Object.freeze({
        name: 'p2p',
        priority: 50,
        conflicts: [{ kind: 'claims', resource: 'batch-layout' }],
        signature: `layout=${layoutSignature(layout)};L=${L};self>=${selfFrom};maps=${o.editedMapsAt ?? 0}`,
        appliesTo: (site: AttentionSite) => site.kind === 'cross' || site.grid.downsample >= selfFrom,
        ...hooks,
      } satisfies ControllerPlan);
    },
  };
}
