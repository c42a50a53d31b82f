import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { ControllerChain, planChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController, ControllerPlan, StepInfo } from '../../../engine/controllers/controller.ts';
import type { SubLayer } from '../../../engine/controllers/site.ts';
import type { DenoiserStep } from '../../../engine/denoiser/denoiser.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import * as op from '../../../engine/graph/ops/index.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { testController } from '../../support/controllers.ts';
import { randomArray } from '../../graph/reference.ts';
import { syntheticKeys, tinySD2Shapes, writeRandomCheckpoint } from './synthetic.ts';

let dir: string;
let spec: StableDiffusionSpec;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const options = (controllers: AttentionController[]) => ({ controllers, cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } });
const B = 2, h = 8, w = 12, D = 32;
const x = randomArray(B * 4 * h * w, 3);
const context = randomArray(B * 77 * D, 4);
const run = async (controllers: AttentionController[], step?: DenoiserStep) =>
  (await loadUNet(spec, options(controllers))).evaluateDetailed(x, [B, 4, h, w], [900, 40], context, [B, 77, D], step);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unet-controllers-'));
  await writeRandomCheckpoint(join(dir, 'tiny.safetensors'), syntheticKeys('sd2', tinySD2Shapes()), 'F32', 5);
  const s = await detectModel(join(dir, 'tiny.safetensors'));
  if (s.family === 'taesd' || s.family === 'pixart' || s.family === 'sdxl') throw new Error('expected Stable Diffusion');
  spec = s;
});
afterAll(async () => {
  await cache.clear();
  await rm(dir, { recursive: true, force: true });
});

/** Uses every build-time hook and changes nothing. */
const noOp = (name = 'noop', extra: Partial<ControllerPlan> = {}): AttentionController =>
  testController({
    name,
    signature: 'v1',
    transformQKV: (_ctx, _site, qkv) => qkv,
    replaceAttention: (_ctx, _site, qkv, next, opts) => next(qkv, opts),
    wrapSubLayer: (_ctx, _call, t, next) => next(t),
    ...extra,
  });
/** The UNet's sites as planning sees them (symbolic token counts). */
const sitesOf = () => unetSites(spec.unet);
/** `stage` + `level` of a site or block, from the LDM family's tags. */
const where = (tags: { family?: Readonly<Record<string, string | number>> }) => `${tags.family?.stage}${tags.family?.level}`;

describe('controller chain on the UNet', () => {
  it('an empty chain builds one fused MultiHeadAttention per site', async () => {
    const unet = await loadUNet(spec, options([]));
    const s = await unet.session(1, 8, 8, 77);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(s.graph.modelPath!));
    const attention = (model.graph?.node ?? []).filter((n) => /Attention|Softmax/.test(n.opType ?? ''));
    expect(unet.sites.attention).toHaveLength(14);
    expect(attention).toHaveLength(14);
    expect(attention.every((n) => n.opType === 'MultiHeadAttention' && n.domain === 'com.microsoft')).toBe(true);
    expect(attention[1].name).toBe('model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2/attention');
  });

  it('a no-op controller on every hook leaves the output bit-identical', async () => {
    const base = await run([]);
    const misses = cache.misses;
    const same = await run([noOp()]);
    expect(cache.misses).toBe(misses + 1); // its signature makes its own session
    expect(same.output).toEqual(base.output);
  });

  it('declared inputs are fed per step, declared outputs come back, and transforms change the result', async () => {
    const seen: { step: number; dims: number[] }[] = [];
    const fed: StepInfo[] = [];
    const crossMaps = testController({
      name: 'probe',
      signature: 'gain+map',
      inputs: [{ name: 'gain', dtype: 'float32', dims: [1] }],
      outputs: [{ name: 'map' }],
      appliesTo: (site) => site.kind === 'cross',
      transformQKV: (ctx, _site, qkv) => ({ ...qkv, v: op.mul(ctx.g, qkv.v, ctx.input('gain')) }),
      replaceAttention(ctx, site, qkv, next, opts) {
        if (site.ordinal === 1) ctx.output('map', ctx.probs(site, qkv.q, qkv.k));
        return next(qkv, opts);
      },
      feeds: (step) => (fed.push(step), { gain: { data: Float32Array.of(step.index === 0 ? 1 : 0), dims: [1] } }),
      receive: (step, outs) => void seen.push({ step: step.index, dims: [...outs.map.dims] }),
    });
    const base = await run([]);
    const one = await run([crossMaps], { index: 0, count: 2, timesteps: [900, 40] });
    const zero = await run([crossMaps], { index: 1, count: 2, timesteps: [900, 40] });
    // The step reaches the feeds whole, with the latent grid of the call.
    expect(fed).toEqual([
      { index: 0, count: 2, timesteps: [900, 40], latent: { height: h, width: w } },
      { index: 1, count: 2, timesteps: [900, 40], latent: { height: h, width: w } },
    ]);
    expect(one.output).toEqual(base.output); // v·1 is exact
    expect(zero.output).not.toEqual(base.output);
    expect(one.extras['probe/map'].dims).toEqual([B, 1, h * w, 77]);
    const map = one.extras['probe/map'].data as Float32Array;
    expect(map.slice(0, 77).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expect(seen).toEqual([{ step: 0, dims: [B, 1, h * w, 77] }, { step: 1, dims: [B, 1, h * w, 77] }]);
  });

  it('wrapSubLayer sees every sub-layer of every transformer block; hook order is declared by priority', async () => {
    const calls: string[] = [];
    const order: string[] = [];
    const wrapOrder: string[] = [];
    const spy = (name: string, priority: number) =>
      testController({
        name, priority,
        replaceAttention(_ctx, site, qkv, next, opts) {
          if (site.ordinal === 0) order.push(name);
          return next(qkv, opts);
        },
        wrapSubLayer(_ctx, call, t, next) {
          if (call.block.ordinal === 0 && call.layer === 'attn1') wrapOrder.push(name);
          return next(t);
        },
      });
    const sites = sitesOf();
    const wrapper = testController({
      name: 'wrap',
      wrapSubLayer(ctx, call, t, next) {
        calls.push(`${where(call.block.tags)}:${call.layer}`);
        // The call names its block as planned, and the block's own input alongside the sub-layer's.
        expect(call.block).toEqual(sites.blocks[call.block.ordinal]);
        expect(call.blockInput).toBeDefined();
        expect(call.grid()).toBeDefined();
        void ctx;
        return next(t);
      },
    });
    const base = await run([]);
    const r = await run([spy('late', 200), wrapper, spy('early', 10)]);
    expect(r.output).toEqual(base.output);
    expect(order).toEqual(['early', 'late']);
    // Lower priority is outermost: it is entered first.
    expect(wrapOrder).toEqual(['early', 'late']);
    const layers: SubLayer[] = ['attn1', 'attn2', 'ff'];
    expect(calls).toEqual(['down0', 'down1', 'mid2', 'up1', 'up1', 'up0', 'up0'].flatMap((b) => layers.map((l) => `${b}:${l}`)));
  });

  it('what wrapSubLayer returns is the sub-layer output the block adds to its residual', async () => {
    const gated = (layer: SubLayer) =>
      testController({
        name: 'gate',
        signature: layer,
        inputs: [{ name: 'gain', dtype: 'float32', dims: [1] }],
        wrapSubLayer: (ctx, call, t, next) => (call.layer === layer ? op.mul(ctx.g, next(t), ctx.input('gain')) : next(t)),
        feeds: (step) => ({ gain: { data: Float32Array.of(step.index === 0 ? 1 : 0), dims: [1] } }),
      });
    const base = await run([]);
    for (const layer of ['attn1', 'attn2', 'ff'] as const) {
      const one = await run([gated(layer)], { index: 0, count: 2 });
      const zero = await run([gated(layer)], { index: 1, count: 2 });
      expect(one.output, layer).toEqual(base.output); // ·1 is exact
      expect(zero.output, layer).not.toEqual(base.output);
      // Dropping a sub-layer keeps the residual path: the output stays finite.
      expect((zero.output as Float32Array).every(Number.isFinite), layer).toBe(true);
    }
  });

  it('incompatible combinations are refused before any graph is built', async () => {
    const misses = cache.misses;
    const claim = (name: string) => testController({ name, conflicts: [{ kind: 'claims', resource: 'batch-layout' }] });
    const sites = sitesOf();
    const refusals: Array<() => unknown> = [
      () => planChain([noOp('a'), noOp('a')], sites),
      () => planChain([claim('p2p'), claim('style')], sites),
      () => planChain([noOp('tome', { conflicts: [{ kind: 'excludes', controller: 'p2p', reason: 'test' }] }), noOp('p2p')], sites),
      () => planChain([noOp('p2p'), noOp('tome', { conflicts: [{ kind: 'excludes', controller: 'p2p', reason: 'test' }] })], sites),
      () => planChain([noOp('has/slash')], sites),
    ];
    for (const make of refusals) {
      expect(make).toThrow(StudioError);
      try { make(); } catch (e) { expect((e as StudioError).code).toBe('INVALID_REQUEST'); }
    }
    // Without a conflict the same kinds of plans share a chain.
    expect(planChain([noOp('a'), noOp('b'), claim('p2p'), noOp('tome', { conflicts: [{ kind: 'excludes', controller: 'ip-adapter', reason: 'test' }] })], sites).plans).toHaveLength(4);
    const picky = testController({ name: 'picky' }, (planned) => {
      if (!planned.attention.some((s) => s.heads >= 8)) throw new StudioError('INVALID_REQUEST', 'needs 8-head sites');
    });
    expect(() => planChain([picky], sites)).toThrow(/needs 8-head sites/);
    await expect(loadUNet(spec, options([picky]))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(loadUNet(spec, options([claim('x1'), claim('x2')]))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(cache.misses).toBe(misses);
  });

  it('a controller that forgets a feed or an output fails with its name', async () => {
    const noFeed = testController({ name: 'nofeed', inputs: [{ name: 'w', dtype: 'float32', dims: [1] }] });
    await expect(run([noFeed])).rejects.toThrow(/nofeed.*w/);
    const noOut = testController({ name: 'noout', outputs: [{ name: 'maps' }] });
    await expect(run([noOut])).rejects.toThrow(/noout.*maps/);
  });

  it('signature orders by priority and is empty for the empty chain', () => {
    expect(new ControllerChain().signature()).toBe('');
    const c = planChain([noOp('a'), noOp('b', { priority: 50 })], sitesOf());
    expect(c.signature()).toBe('b(v1)>a(v1)');
    expect(planChain([noOp('a'), noOp('b')], sitesOf()).signature()).toBe('a(v1)>b(v1)');
  });
});
