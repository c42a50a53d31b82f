import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { ControllerChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController, StepInfo } from '../../../engine/controllers/controller.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import * as op from '../../../engine/graph/ops/index.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { randomArray } from '../../graph/reference.ts';
import { syntheticKeys, tinySD2Shapes, writeRandomCheckpoint } from './synthetic.ts';

let dir: string;
let spec: StableDiffusionSpec;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const options = (controllers: AttentionController[]) => ({ controllers, cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } });
const B = 2, h = 8, w = 12, D = 32;
const x = randomArray(B * 4 * h * w, 3);
const context = randomArray(B * 77 * D, 4);
const run = async (controllers: AttentionController[], step?: StepInfo) =>
  (await loadUNet(spec, options(controllers))).evaluateDetailed(x, [B, 4, h, w], [900, 40], context, [B, 77, D], step);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unet-controllers-'));
  await writeRandomCheckpoint(join(dir, 'tiny.safetensors'), syntheticKeys('sd2', tinySD2Shapes()), 'F32', 5);
  const s = await detectModel(join(dir, 'tiny.safetensors'));
  if (s.family === 'taesd') throw new Error('expected Stable Diffusion');
  spec = s;
});
afterAll(async () => {
  await cache.clear();
  await rm(dir, { recursive: true, force: true });
});

/** Uses every build-time hook and changes nothing. */
const noOp = (name = 'noop'): AttentionController => ({
  name,
  signature: () => 'v1',
  transformQKV: (_ctx, _site, qkv) => qkv,
  replaceAttention: (_ctx, _site, qkv, next, opts) => next(qkv, opts),
  wrapBlock: (_ctx, _block, t, next) => next(t),
});

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
    const crossMaps: AttentionController = {
      name: 'probe',
      signature: () => 'gain+map',
      inputs: () => [{ name: 'gain', dtype: 'float32', dims: [1] }],
      outputs: () => [{ name: 'map' }],
      appliesTo: (site) => site.kind === 'cross',
      transformQKV: (ctx, _site, qkv) => ({ ...qkv, v: op.mul(ctx.g, qkv.v, ctx.input('gain')) }),
      replaceAttention(ctx, site, qkv, next, opts) {
        if (site.index === 1) ctx.output('map', ctx.probs(site, qkv.q, qkv.k));
        return next(qkv, opts);
      },
      feeds: (step) => ({ gain: { data: Float32Array.of(step.index === 0 ? 1 : 0), dims: [1] } }),
      receive: (step, outs) => seen.push({ step: step.index, dims: [...outs.map.dims] }),
    };
    const base = await run([]);
    const one = await run([crossMaps], { index: 0, count: 2, timesteps: [900, 40] });
    const zero = await run([crossMaps], { index: 1, count: 2, timesteps: [900, 40] });
    expect(one.output).toEqual(base.output); // v·1 is exact
    expect(zero.output).not.toEqual(base.output);
    expect(one.extras['probe/map'].dims).toEqual([B, 1, h * w, 77]);
    const map = one.extras['probe/map'].data as Float32Array;
    expect(map.slice(0, 77).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expect(seen).toEqual([{ step: 0, dims: [B, 1, h * w, 77] }, { step: 1, dims: [B, 1, h * w, 77] }]);
  });

  it('wrapBlock sees every transformer block with its parts; replaceAttention order is declared by priority', async () => {
    const blocks: string[] = [];
    const order: string[] = [];
    const spy = (name: string, priority: number): AttentionController => ({
      name, priority, signature: () => '',
      replaceAttention(_ctx, site, qkv, next, opts) {
        if (site.index === 0) order.push(name);
        return next(qkv, opts);
      },
    });
    const wrapper: AttentionController = {
      name: 'wrap', signature: () => '',
      wrapBlock(ctx, parts, t, next) {
        blocks.push(`${parts.site.stage}${parts.site.level}`);
        // Re-composes the block from its parts: must equal next(t).
        let y = op.add(ctx.g, parts.attn1(parts.norm1(t)), t);
        y = op.add(ctx.g, parts.attn2(parts.norm2(y)), y);
        void next;
        return op.add(ctx.g, parts.ff(parts.norm3(y)), y);
      },
    };
    const base = await run([]);
    const r = await run([spy('late', 200), wrapper, spy('early', 10)]);
    expect(r.output).toEqual(base.output);
    expect(order).toEqual(['early', 'late']);
    expect(blocks).toEqual(['down0', 'down1', 'mid2', 'up1', 'up1', 'up0', 'up0']);
  });

  it('incompatible combinations are refused before any graph is built', async () => {
    const misses = cache.misses;
    const claim = (name: string): AttentionController => ({ name, signature: () => '', claims: ['batch-layout'] });
    const refusals: Array<() => unknown> = [
      () => new ControllerChain([noOp('a'), noOp('a')]),
      () => new ControllerChain([claim('p2p'), claim('style')]),
      () => new ControllerChain([{ ...noOp('tome'), incompatibleWith: ['p2p'] }, noOp('p2p')]),
      () => new ControllerChain([noOp('has/slash')]),
    ];
    for (const make of refusals) {
      expect(make).toThrow(StudioError);
      try { make(); } catch (e) { expect((e as StudioError).code).toBe('INVALID_REQUEST'); }
    }
    const picky: AttentionController = {
      name: 'picky', signature: () => '',
      checkSites(sites) {
        if (!sites.some((s) => s.heads >= 8)) throw new StudioError('INVALID_REQUEST', 'needs 8-head sites');
      },
    };
    await expect(loadUNet(spec, options([picky]))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(loadUNet(spec, options([claim('x1'), claim('x2')]))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(cache.misses).toBe(misses);
  });

  it('a controller that forgets a feed or an output fails with its name', async () => {
    const noFeed: AttentionController = { name: 'nofeed', signature: () => '', inputs: () => [{ name: 'w', dtype: 'float32', dims: [1] }] };
    await expect(run([noFeed])).rejects.toThrow(/nofeed.*w/);
    const noOut: AttentionController = { name: 'noout', signature: () => '', outputs: () => [{ name: 'maps' }] };
    await expect(run([noOut])).rejects.toThrow(/noout.*maps/);
  });

  it('signature orders by priority and is empty for the empty chain', () => {
    expect(new ControllerChain().signature()).toBe('');
    const c = new ControllerChain([{ ...noOp('b'), priority: 50 }, noOp('a')]);
    expect(c.signature()).toBe('b(v1)>a(v1)');
  });
});
