import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController, StepInfo } from '../../../engine/controllers/controller.ts';
import {
  EDITED_MAPS,
  branchLayout,
  crossFeeds,
  type EditPlan,
  phraseTokens,
  planEdit,
  promptToPrompt,
  selfFeed,
} from '../../../engine/controllers/p2p/index.ts';
import { attentionStore } from '../../../engine/controllers/attentionStore/index.ts';
import * as op from '../../../engine/graph/ops/index.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadTextEncoder } from '../../../engine/models/clip/textEncoder.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { buildUNetGraph } from '../../../engine/models/unet/graph.ts';
import { loadUNet } from '../../../engine/models/unet/runner.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { tokenizerFor } from '../../../engine/tokenizer/forModel.ts';
import { randomArray } from '../../graph/reference.ts';
import { testController } from '../../support/controllers.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const tokenizer = await tokenizerFor({ family: 'sd1' });
const cache = new SessionCache({ intraOpNumThreads: 1 });
const layout = branchLayout(true);
const h = 16, w = 16, L = 77;
const plan = (source: string, target: string, extra: Partial<Parameters<typeof planEdit>[1]> = {}) =>
  planEdit(tokenizer, { source, target, steps: 10, crossReplaceSteps: 1, selfReplaceSteps: 0.4, ...extra });

/** Node types of the UNet graph built with these controllers, with their names. */
function graphNodes(spec: StableDiffusionSpec, controllers: AttentionController[]): { opType: string; name: string }[] {
  const g = buildUNetGraph('float32', spec.weights.scope('model.diffusion_model'), spec.unet, planChain(controllers, unetSites(spec.unet)));
  const model = g.toModel(() => ({ location: 'x', offset: 0, length: 0 }));
  return (model.graph?.node ?? []).map((n) => ({ opType: n.opType ?? '', name: n.name ?? '' }));
}

/**
 * P2P written the way the paper's code does it — materialised maps, edited, then ·V — to
 * check that the fused rewrite computes the same thing.
 */
function explicitP2P(p: EditPlan): AttentionController {
  const { source: s, target: t } = layout;
  return testController({
    name: 'p2p-explicit',
    conflicts: [{ kind: 'claims', resource: 'batch-layout' }],
    signature: 'explicit',
    appliesTo: (site) => site.kind === 'cross' || site.grid.downsample >= 4,
    inputs: [
      { name: 'G', dtype: 'float32', dims: [L, L] },
      { name: 'a', dtype: 'float32', dims: [L] },
      { name: 'c', dtype: 'float32', dims: [L] },
      { name: 'tau', dtype: 'float32', dims: [L] },
      { name: 'self', dtype: 'float32', dims: [1] },
    ],
    replaceAttention(ctx, site, { q, k, v }) {
      const g = ctx.g;
      const A = ctx.probs(site, q, k); // [B, H, P, L']
      const row = (x: typeof A, r: number) => op.slice(g, x, [r], [r + 1], [0]);
      const aSrc = row(A, s), aTgt = row(A, t);
      let edited;
      if (site.kind === 'self') {
        const on = ctx.input('self');
        edited = op.add(g, op.mul(g, aSrc, on), op.mul(g, aTgt, op.sub(g, g.scalar(1), on)));
      } else {
        const a = ctx.input('a'), c = ctx.input('c'), tau = ctx.input('tau');
        let e = op.matmul(g, aSrc, ctx.input('G'));
        e = op.add(g, op.mul(g, e, a), op.mul(g, aTgt, op.sub(g, g.scalar(1), a)));
        e = op.mul(g, e, c);
        edited = op.add(g, op.mul(g, e, tau), op.mul(g, aTgt, op.sub(g, g.scalar(1), tau)));
      }
      return ctx.applyProbs(site, op.concat(g, [op.slice(g, A, [0], [t], [0]), edited], 0), v);
    },
    feeds: (step: StepInfo) => {
      const tau = p.alpha[step.index];
      return {
        G: { data: p.base, dims: [L, L] },
        a: { data: p.aligned, dims: [L] },
        c: { data: p.weights, dims: [L] },
        tau: { data: tau, dims: [L] },
        self: { data: Float32Array.of(selfFeed(p, step.index)), dims: [1] },
      };
    },
  });
}

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('prompt-to-prompt on the sd15-tiny UNet', () => {
  let spec: StableDiffusionSpec;
  let context: Float32Array;
  const x = randomArray(4 * 4 * h * w, 7);
  const run = async (controllers: AttentionController[], p: EditPlan, stepIndex: number, kernel?: 'explicit') => {
    const unet = await loadUNet(spec, { controllers, cache, runtime: { threads: 1 }, ...(kernel ? { kernel } : {}) });
    const ctx = await contextFor(p);
    const ts = [700, 700, 700, 700];
    return unet.evaluateDetailed(x, [4, 4, h, w], ts, ctx, [4, L, 64], { index: stepIndex, count: p.steps, timesteps: ts });
  };
  const contextFor = async (p: EditPlan) => {
    const te = await loadTextEncoder(spec, { threads: 1, cache });
    const e = await te.encodeIds([tokenizer.encode('').ids, tokenizer.encode('').ids, p.source.ids, p.target.ids], 4);
    context = e.data;
    return context;
  };

  beforeAll(async () => {
    const s = await detectModel(tiny);
    if (s.family === 'taesd' || s.family === 'pixart' || s.family === 'sdxl') throw new Error('expected Stable Diffusion');
    spec = s;
  });
  afterAll(() => cache.clear());

  it('word swap and reweighting keep the fused kernel and build no softmax at all', () => {
    const p = promptToPrompt({ plan: plan('a photo of a cat', 'a photo of a (dog:2)'), layout });
    const nodes = graphNodes(spec, [p]);
    const sites = unetSites(spec.unet).attention;
    const mha = nodes.filter((n) => n.opType === 'MultiHeadAttention');
    expect(nodes.filter((n) => n.opType === 'Softmax')).toHaveLength(0);
    // One fused call per self site, two per cross site (Attn(all, keep·V) and Attn(Q_src, K_src, L·V)).
    expect(sites.filter((s) => s.kind === 'self')).toHaveLength(16);
    expect(mha.filter((n) => n.name.includes('attn1'))).toHaveLength(16);
    expect(mha.filter((n) => n.name.includes('attn2'))).toHaveLength(2 * 16);
  });

  it('local blending materialises softmax only at the five latent/4 cross-attention sites', () => {
    const nodes = graphNodes(spec, [
      promptToPrompt({ plan: plan('a cat', 'a dog'), layout }),
      attentionStore({ resolution: 4, rows: [layout.source, layout.target + 1] }),
    ]);
    const softmax = nodes.filter((n) => n.opType === 'Softmax');
    expect(softmax).toHaveLength(5);
    expect(softmax.every((n) => n.name.includes('attn2'))).toBe(true);
    expect(softmax.some((n) => n.name.includes('attn1'))).toBe(false);
  });

  it.each([
    ['word swap + reweight', () => plan('a photo of a cat', 'a photo of a (dog:3)', { crossReplaceSteps: 0.6, crossReplaceWords: { dog: 0.3 } }), [0, 5, 9]],
    ['refinement', () => plan('a photo of a cat', 'a blurry photo of a fluffy cat', { crossReplaceSteps: 0.6 }), [0, 8]],
    ['swap to a longer word', () => plan('a photo of a cat on grass', 'a photo of a hippopotamus on grass'), [0]],
  ] as const)('%s: the fused rewrite equals the explicit-map reference', async (_label, makePlan, steps) => {
    const p = makePlan();
    for (const k of steps) {
      const fused = await run([promptToPrompt({ plan: p, layout })], p, k);
      const explicit = await run([explicitP2P(p)], p, k, 'explicit');
      let max = 0, ref = 0;
      fused.output.forEach((v, i) => {
        max = Math.max(max, Math.abs(v - explicit.output[i]));
        ref = Math.max(ref, Math.abs(explicit.output[i]));
      });
      expect(max / ref, `step ${k}`).toBeLessThan(1e-4);
    }
    // And the edit does act on the target row (the rows are [u, u, src, tgt]).
    const plain = await run([], p, 0);
    const edited = await run([promptToPrompt({ plan: p, layout })], p, 0);
    const n = 4 * h * w;
    let moved = 0;
    for (let i = 3 * n; i < 4 * n; i++) moved = Math.max(moved, Math.abs(plain.output[i] - edited.output[i]));
    expect(moved).toBeGreaterThan(1e-3);
    expect(edited.output.subarray(0, 3 * n)).toEqual(plain.output.subarray(0, 3 * n));
  });

  it('a word reweighted by 0 receives no attention; by 1 the maps are the source maps', async () => {
    const maps = async (p: EditPlan) => {
      const store = attentionStore({ resolution: 4, rows: [layout.source, layout.target + 1] });
      const r = await run([promptToPrompt({ plan: p, layout, editedMapsAt: 4 }), store], p, 0);
      return { edited: r.extras[`p2p/${EDITED_MAPS}`], raw: r.extras['attention-store/maps'] };
    };
    const zero = plan('a photo of a cat', 'a photo of a (cat:0)');
    const cat = phraseTokens(tokenizer, zero.target, 'cat');
    const z = await maps(zero);
    const P = (h / 4) * (w / 4);
    expect(z.edited.dims).toEqual([1, P, L]);
    const edited = z.edited.data as Float32Array;
    const raw = z.raw.data as Float32Array;
    for (let p = 0; p < P; p++) {
      for (const n of cat) {
        expect(edited[p * L + n]).toBe(0);
        expect(raw[(P + p) * L + n]).toBeGreaterThan(0); // the unedited target did attend to it
      }
      expect(edited[p * L + 1]).toBeGreaterThan(0);
    }
    const one = await maps(plan('a photo of a cat', 'a photo of a (cat:1)'));
    const e1 = one.edited.data as Float32Array;
    const src = (one.raw.data as Float32Array).subarray(0, P * L);
    e1.forEach((v, i) => expect(v).toBeCloseTo(src[i], 4));
    const none = await maps(plan('a photo of a cat', 'a photo of a cat'));
    expect(none.edited.data).toEqual(one.edited.data);
  });

  it('feeds follow the schedule: outside the window the target attends on its own', () => {
    const p = plan('a cat', 'a dog', { crossReplaceSteps: 0.5 });
    expect(crossFeeds(p, 5).keep.every((v) => v === 1)).toBe(true);
    expect(crossFeeds(p, 5).map.every((v) => v === 0)).toBe(true);
  });
});
