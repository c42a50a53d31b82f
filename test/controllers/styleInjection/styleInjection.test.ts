import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { attentionSite } from '../../../engine/controllers/attentionSite.ts';
import { planChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController } from '../../../engine/controllers/controller.ts';
import type { AttentionSite } from '../../../engine/controllers/site.ts';
import { adain, styleInjection, styleInjectionMemory } from '../../../engine/controllers/styleInjection/index.ts';
import { TokenMerging } from '../../../engine/controllers/tome/tokenMerging.ts';
import { GraphBuilder } from '../../../engine/graph/builder.ts';
import { SessionCache, runSession } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { maxAbsDiff, randomArray } from '../../graph/reference.ts';
import { testController } from '../../support/controllers.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';
import { SD15_UNET } from '../ipAdapter/fixtures.ts';
import { mha, rows } from '../ipAdapter/reference.ts';
import { refusal } from '../../support/controllers.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());
const step = { index: 0, count: 1, timesteps: [500, 500, 500] };
/** The site test's latent: its 6 tokens as a 2×3 grid at downsample 2. */
const latent = { height: 4, width: 6 };


describe('style injection at one site against a TypeScript reference', () => {
  const site: AttentionSite = {
    path: 'model.diffusion_model.output_blocks.7.1.transformer_blocks.0.attn1', ordinal: 0,
    block: 'model.diffusion_model.output_blocks.7.1.transformer_blocks.0', kind: 'self',
    heads: 2, dimHead: 4, channels: 8, grid: { downsample: 2, tokens: 6 }, queryTokens: 6, keyTokens: 6,
    tags: { decoderBlock: 7, family: { stage: 'up', level: 1, ldmBlock: 'output_blocks.7', blockIndex: 4, depth: 0 } },
  };
  const B = 3, S = 6, C = 8;
  const q = randomArray(B * S * C, 1), k = randomArray(B * S * C, 2), v = randomArray(B * S * C, 3);
  it('row 2 = softmax(T·q̃·k_sᵀ/√d)·v_s with q̃ = γ·q_c + (1−γ)·q_cs; rows 0 and 1 plain', async () => {
    const chain = planChain([styleInjection({ gamma: 0.3, temperature: 1.7, layers: [7] })], { attention: [site], blocks: [] });
    const s = await cache.get({ checkpoint: 'none', architecture: 'styleid-site' }, () => {
      const g = new GraphBuilder({ name: 'styleid-site' });
      const bound = chain.bind(g);
      const y = attentionSite(g, site, g.input('q', 'float32', ['batch', S, C]), g.input('k', 'float32', ['batch', S, C]), g.input('v', 'float32', ['batch', S, C]), bound);
      bound.finish();
      g.output(y, 'y');
      return g;
    });
    const out = (await runSession(s, { q: { data: q, dims: [B, S, C] }, k: { data: k, dims: [B, S, C] }, v: { data: v, dims: [B, S, C] }, ...chain.feeds({ ...step, latent }) })).y.data as Float32Array;
    const n = S * C;
    for (const b of [0, 1]) expect(maxAbsDiff(rows(out, b, n), mha(rows(q, b, n), rows(k, b, n), rows(v, b, n), S, S, 2, 4))).toBeLessThan(1e-5);
    const qt = rows(q, 0, n).map((x, i) => 0.3 * x + 0.7 * q[2 * n + i]);
    expect(maxAbsDiff(rows(out, 2, n), mha(qt, rows(k, 1, n), rows(v, 1, n), S, S, 2, 4, 1.7 / 2))).toBeLessThan(1e-5);
  });

  it('AdaIN uses per-channel mean and unbiased std', () => {
    const c = Float32Array.of(1, 2, 3, 4, 10, 10, 10, 11), s = Float32Array.of(0, 0, 2, 2, 5, 6, 7, 8);
    const z = adain(c, s, 2);
    const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
    const std = (x: Float32Array) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));
    expect(mean(z.subarray(0, 4))).toBeCloseTo(1, 5);
    expect(std(z.subarray(0, 4))).toBeCloseTo(std(s.subarray(0, 4)), 5);
    expect(mean(z.subarray(4))).toBeCloseTo(6.5, 5);
  });

  it('SD 1.5 at 512 px, 50 steps: 6.7 MB of cached latents instead of ≈3.5 GB of features', () => {
    const m = styleInjectionMemory(unetSites(SD15_UNET).attention, [6, 7, 8, 9, 10, 11], { channels: 4, height: 64, width: 64 }, 50);
    expect(m.cachedLatentsBytes).toBe(2 * 51 * 4 * 64 * 64 * 4);
    expect(m.featureCacheBytes).toBe((3 * 3 * 1024 * 640 + 3 * 3 * 4096 * 320) * 50 * 4);
  });
});

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('style injection on the sd15-tiny UNet', () => {
  let dir: string;
  let spec: StableDiffusionSpec;
  const h = 8, w = 8;
  const x = randomArray(3 * 4 * h * w, 11);
  // One context for every row, as stylisation uses the empty prompt throughout.
  const row = randomArray(77 * 64, 12);
  const context = Float32Array.from([...row, ...row, ...row]);
  const run = async (controllers: AttentionController[], input = x) => {
    const unet = await loadUNet(spec, { controllers, cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } });
    return unet.evaluate(input, [3, 4, h, w], [500, 500, 500], context, [3, 77, 64], step);
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'styleid-unet-'));
    const s = await detectModel(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'), { configPath: sharedPath('golden', 'sd15-tiny', 'config.json') });
    if (s.family === 'taesd' || s.family === 'pixart' || s.family === 'sdxl') throw new Error('expected Stable Diffusion');
    spec = s;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('γ = 0 (own query), T = 1, no K/V substitution gives the plain output', async () => {
    const plain = await run([]);
    const out = await run([styleInjection({ gamma: 0, temperature: 1, substituteKV: false })]);
    expect(maxAbsDiff(out, plain)).toBeLessThan(1e-6);
  });

  it('γ = 1, T = 1, no K/V substitution gives the plain output when the stylised row is the content row', async () => {
    const same = Float32Array.from(x);
    const n = 4 * h * w;
    same.set(x.subarray(0, n), 2 * n);
    const plain = await run([], same);
    const out = await run([styleInjection({ gamma: 1, temperature: 1, substituteKV: false })], same);
    expect(maxAbsDiff(out, plain)).toBeLessThan(1e-6);
  });

  it('the defaults change only the stylised row', async () => {
    const plain = await run([]);
    const out = await run([styleInjection()]);
    const n = 4 * h * w;
    expect(maxAbsDiff(out.subarray(0, 2 * n), plain.subarray(0, 2 * n))).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.subarray(2 * n), plain.subarray(2 * n))).toBeGreaterThan(1e-4);
  });

  it('is refused with token merging and with another batch-layout owner (prompt-to-prompt)', () => {
    const sites = unetSites(spec.unet);
    expect(() => planChain([styleInjection(), new TokenMerging({ ratio: 0.5 })], sites)).toThrow(StudioError);
    // Both exclude each other; whichever is checked first, the refusal names the pair.
    const pair = refusal(() => planChain([styleInjection(), new TokenMerging({ ratio: 0.5 })], sites));
    expect(pair.code).toBe('INVALID_REQUEST');
    expect([...(pair.details?.controllers as string[])].sort()).toEqual(['style-injection', 'tome']);
    const p2p = testController({ name: 'p2p', conflicts: [{ kind: 'claims', resource: 'batch-layout' }] });
    expect(() => planChain([styleInjection(), p2p], sites)).toThrow(/both need batch-layout/);
    expect(refusal(() => planChain([styleInjection(), p2p], sites))).toMatchObject({ code: 'INVALID_REQUEST', details: { resource: 'batch-layout' } });
    expect(() => planChain([styleInjection()], sites)).not.toThrow();
    expect(() => styleInjection({ gamma: 2 })).toThrow(/gamma/);
  });
});
