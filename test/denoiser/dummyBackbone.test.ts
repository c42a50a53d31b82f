import { afterAll, describe, expect, it } from 'vitest';
import { attentionSite } from '../../engine/controllers/attentionSite.ts';
import type { ControllerChain } from '../../engine/controllers/chain.ts';
import type { AttentionController } from '../../engine/controllers/controller.ts';
import { attentionStore } from '../../engine/controllers/attentionStore/index.ts';
import { branchLayout, planEdit, promptToPrompt } from '../../engine/controllers/p2p/index.ts';
import type { AttentionSite, BlockSite, NetworkSites } from '../../engine/controllers/site.ts';
import { TokenMerging } from '../../engine/controllers/tome/tokenMerging.ts';
import type { Denoiser } from '../../engine/denoiser/denoiser.ts';
import { type DenoiserNetwork, graphDenoiser } from '../../engine/denoiser/graphDenoiser.ts';
import { GraphBuilder, type Value } from '../../engine/graph/builder.ts';
import * as op from '../../engine/graph/ops/index.ts';
import { SessionCache } from '../../engine/graph/session.ts';
import { tokenizerFor } from '../../engine/tokenizer/forModel.ts';
import { randomArray } from '../graph/reference.ts';

/**
 * A backbone that is not a UNet: one transformer block (self-attention, cross-attention,
 * feed-forward) over a 4×4 token grid, written here from the public interfaces alone. The
 * controllers run on it unchanged — nothing in engine/controllers knows it exists.
 */
const C = 4, WIDTH = 8, HEADS = 2, D = 8, GRID = 4;
const BLOCK = 'dummy.blocks.0';
const siteOf = (kind: 'self' | 'cross', ordinal: number): AttentionSite => ({
  path: `${BLOCK}.${kind === 'self' ? 'attn1' : 'attn2'}`, ordinal, block: BLOCK, kind, heads: HEADS, dimHead: WIDTH / HEADS, channels: WIDTH,
  grid: { downsample: 1, tokens: 'h·w' }, queryTokens: 'h·w', keyTokens: kind === 'self' ? 'h·w' : 'tokens', tags: { family: { kind: 'dummy' } },
});
const self = siteOf('self', 0), cross = siteOf('cross', 1);
const block: BlockSite = { path: BLOCK, ordinal: 0, channels: WIDTH, grid: self.grid, queryTokens: 'h·w', self, cross, tags: {} };
const sites: NetworkSites = { attention: [self, cross], blocks: [block] };

function dummyNetwork(): DenoiserNetwork {
  let seed = 10;
  const weight = (g: GraphBuilder, rows: number, cols: number) => g.floatTensor(randomArray(rows * cols, seed++).map((v) => v * 0.5), [rows, cols]);
  return {
    architecture: 'dummy', label: 'dummy network', checkpoint: 'dummy-weights', inChannels: C, latentChannels: C, contextDim: D, sites, signature: '',
    build(computeType, chain: ControllerChain) {
      seed = 10; // the same weights at every build
      const g = new GraphBuilder({ name: 'dummy', computeType });
      const x = g.input('x', 'float32', ['batch', C, 'h', 'w']);
      const context = g.input('context', 'float32', ['batch', 'tokens', D]);
      const bound = chain.bind(g);
      const tokens = op.matmul(g, op.transpose(g, op.reshape(g, x, [0, 0, -1]), [0, 2, 1]), weight(g, C, WIDTH)); // [B, hw, WIDTH]
      const grid = () => op.shapeOf(g, x, 2, 4);
      const sub = (layer: 'attn1' | 'attn2' | 'ff', input: Value, f: (t: Value) => Value) => bound.subLayer({ block, layer, blockInput: tokens, grid }, input, f);
      const attend = (site: AttentionSite, t: Value, kv: Value, kvWidth: number) =>
        op.matmul(g, attentionSite(g, site, op.matmul(g, t, weight(g, WIDTH, WIDTH)), op.matmul(g, kv, weight(g, kvWidth, WIDTH)), op.matmul(g, kv, weight(g, kvWidth, WIDTH)), bound), weight(g, WIDTH, WIDTH));
      let h = op.add(g, sub('attn1', tokens, (t) => attend(self, t, t, WIDTH)), tokens);
      h = op.add(g, sub('attn2', h, (t) => attend(cross, t, context, D)), h);
      h = op.add(g, sub('ff', h, (t) => op.matmul(g, op.tanh(g, op.matmul(g, t, weight(g, WIDTH, WIDTH))), weight(g, WIDTH, WIDTH))), h);
      const out = op.reshape(g, op.transpose(g, op.matmul(g, h, weight(g, WIDTH, C)), [0, 2, 1]), op.shapeOf(g, x));
      bound.finish();
      g.output(op.cast(g, out, 'float32'), 'output');
      return g;
    },
    feeds: (x, _t, c) => ({ x: { data: x.data, dims: [...x.dims] }, context: { data: c.context.data, dims: [...c.context.dims] } }),
  };
}

const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());
const load = (controllers: readonly AttentionController[] = []) => graphDenoiser(dummyNetwork(), { controllers, runtime: { cache } });
const L = 77;
const run = (d: Denoiser, x: Float32Array, rows: number, context: Float32Array, step = { index: 0, count: 1 }) =>
  d.run({ data: x, dims: [rows, C, GRID, GRID] }, new Array(rows).fill(500), { context: { data: context, dims: [rows, L, D] } }, step);

describe('a dummy backbone (two sites on a 4×4 grid, no UNet) under the unchanged controllers', () => {
  const x1 = randomArray(C * GRID * GRID, 1);
  const ctxA = randomArray(L * D, 2);
  const ctxB = randomArray(L * D, 3);
  const both = (a: Float32Array, b: Float32Array) => Float32Array.from([...a, ...b]);

  it('prompt-to-prompt: an identity edit copies the source, a swap borrows its maps while replacing and not after', async () => {
    const tokenizer = await tokenizerFor({ family: 'sd1' });
    const layout = branchLayout(false);
    const plain = await load();
    const edit = (source: string, target: string) =>
      load([promptToPrompt({ plan: planEdit(tokenizer, { source, target, steps: 2, crossReplaceSteps: 0.5, selfReplaceSteps: 0.5 }), layout, selfReplaceFrom: 1 })]);
    const xs = both(x1, x1);
    const identity = (await run(await edit('a red circle', 'a red circle'), xs, 2, both(ctxA, ctxA))).output;
    expect(Array.from(identity.subarray(64))).toEqual(Array.from(identity.subarray(0, 64)));

    const swap = await edit('a red circle', 'a blue circle');
    const alone = (await run(plain, x1, 1, ctxB)).output;
    const early = (await run(swap, xs, 2, both(ctxA, ctxB), { index: 0, count: 2 })).output;
    const late = (await run(swap, xs, 2, both(ctxA, ctxB), { index: 1, count: 2 })).output;
    const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(diff(early.subarray(64), alone)).toBeGreaterThan(1e-3); // the source's attention took over
    expect(diff(late.subarray(64), alone)).toBeLessThan(1e-5); // past both schedules: the target runs alone
  });

  it('token merging: merges on the single grid (ratio 0.5 changes the output a little), and is refused beside prompt-to-prompt', async () => {
    const plain = (await run(await load(), x1, 1, ctxA)).output;
    const merging = await load([new TokenMerging({ ratio: 0.5, useRand: false, merge: ['attn1', 'attn2', 'ff'] })]);
    expect(merging.chain.inputNames()).toEqual(['tome/b0.dst', 'tome/b0.src', 'tome/b0.r']);
    const merged = (await run(merging, x1, 1, ctxA)).output;
    const err = Math.max(...merged.map((v, i) => Math.abs(v - plain[i])));
    expect(err).toBeGreaterThan(1e-4);
    expect(err).toBeLessThan(10 * Math.max(...plain.map(Math.abs)));
    const tokenizer = await tokenizerFor({ family: 'sd1' });
    const p2p = promptToPrompt({ plan: planEdit(tokenizer, { source: 'a', target: 'b', steps: 1, crossReplaceSteps: 1, selfReplaceSteps: 0 }), layout: branchLayout(false) });
    await expect(load([new TokenMerging({ ratio: 0.5 }), p2p])).rejects.toThrow(/Token merging cannot be combined with prompt-to-prompt editing: each batch entry/);
  });

  it('attention store: collects the cross-attention maps of the 16 tokens, each a distribution over the 77 context tokens', async () => {
    const store = attentionStore({ resolution: 1, rows: [0, 1] });
    const d = await load([store]);
    await run(d, x1, 1, ctxA, { index: 0, count: 2 });
    await run(d, x1, 1, ctxA, { index: 1, count: 2 });
    expect(store.steps).toBe(2);
    expect(store.dims).toEqual([1, GRID * GRID, L]);
    const avg = store.average();
    for (let p = 0; p < GRID * GRID; p++) expect(avg.subarray(p * L, (p + 1) * L).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expect(() => attentionStore({ resolution: 4, rows: [0, 1] }).plan(sites)).toThrow(/no cross-attention at 1\/4/);
  });
});
