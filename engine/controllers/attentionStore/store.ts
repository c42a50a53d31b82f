import { StudioError } from '../../api/errors.ts';
import type { Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { Attend, AttendOptions, AttentionController, ControllerGraphContext, ControllerPlan, QKV, StepInfo } from '../controller.ts';
import type { AttentionSite } from '../site.ts';
import { sumOverSites } from './sumMaps.ts';

export interface AttentionStoreOptions {
  /** Cross-attention sites this many times coarser than the latent (P2P's 16² at 512 px is 4). */
  resolution: number;
  /** Batch rows [start, end) whose maps are kept — the conditional branches. */
  rows: readonly [number, number];
  name?: string;
}

/** Running sums of cross-attention maps: [rows, P, tokens], Σ over heads, sites and steps. */
export interface AttentionStore extends AttentionController {
  /** The downsampling factor of the sites it reads. */
  readonly resolution: number;
  /** Σ over steps so far, or null before the first step. */
  readonly sum: Float32Array | null;
  readonly dims: readonly number[];
  readonly steps: number;
  /** Heads × sites that each step's map sums over (to turn sums into means). */
  readonly mapsPerStep: number;
  /** Mean over heads, sites and steps, [rows, P, tokens]. */
  average(): Float32Array;
  reset(): void;
}

/**
 * Collects the cross-attention probabilities of chosen batch rows at one resolution,
 * summed over heads and sites inside the graph so only [rows, P, 77] leaves it per step.
 * It sits outermost, so it sees the raw Q and K before any edit — the maps local blending
 * and the map viewer want. Softmax is materialised only at those sites.
 */
export function attentionStore(o: AttentionStoreOptions): AttentionStore {
  const [start, end] = o.rows;
  const name = o.name ?? 'attention-store';
  const mine = (site: AttentionSite) => site.kind === 'cross' && site.grid.downsample === o.resolution;
  let mapsPerStep = 0;
  let sum: Float32Array | null = null;
  let dims: number[] = [];
  let steps = 0;
  const store: AttentionStore = {
    name,
    resolution: o.resolution,
    plan(sites): ControllerPlan {
      const read = sites.attention.filter(mine);
      if (!read.length) throw new StudioError('INVALID_REQUEST', `This network has no cross-attention at 1/${o.resolution} of the latent`);
      const perStep = read.reduce((a, s) => a + s.heads, 0);
      return Object.freeze({
        name,
        // Outermost, so it sees the raw Q and K before any edit.
        priority: 10,
        conflicts: [],
        signature: `res=${o.resolution};rows=${start}-${end}`,
        appliesTo: mine,
        inputs: [],
        outputs: [{ name: 'maps', meaning: 'Σ heads and sites of softmax(QKᵀ) for the kept rows, [rows, P, tokens]' }],
        replaceAttention(ctx: ControllerGraphContext, site: AttentionSite, qkv: QKV, next: Attend, opts: AttendOptions): Value {
          const g = ctx.g;
          const pick = (x: Value) => op.slice(g, x, [start], [end], [0]);
          const probs = ctx.probs(site, pick(qkv.q), pick(qkv.k), opts.scale); // [R, H, P, L]
          ctx.memo('maps', (): Value[] => []).push(g.op('ReduceSum', [probs, g.ints([1])], { keepdims: 0 }));
          return next(qkv, opts);
        },
        finish(ctx: ControllerGraphContext) {
          ctx.output('maps', op.cast(ctx.g, sumOverSites(ctx.g, ctx.memo('maps', (): Value[] => [])), 'float32'));
        },
        receive(_step: StepInfo, outputs: Record<string, HostTensor>) {
          const m = outputs.maps;
          const data = m.data as Float32Array;
          if (!sum || sum.length !== data.length) {
            sum = new Float32Array(data.length);
            dims = [...m.dims];
            steps = 0;
          }
          for (let i = 0; i < data.length; i++) sum[i] += data[i];
          steps++;
          mapsPerStep = perStep;
        },
      });
    },
    get sum() {
      return sum;
    },
    get dims() {
      return dims;
    },
    get steps() {
      return steps;
    },
    get mapsPerStep() {
      return mapsPerStep;
    },
    average() {
      if (!sum) throw new StudioError('RUNTIME_FAILURE', 'No attention maps were collected');
      const k = 1 / (steps * mapsPerStep);
      return sum.map((v) => v * k);
    },
    reset() {
      sum = null;
      dims = [];
      steps = 0;
    },
  };
  return store;
}
