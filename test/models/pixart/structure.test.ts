import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBUG_MODULES } from '../../../engine/cli/debugModules.ts';
import type { AttentionController } from '../../../engine/controllers/controller.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import * as op from '../../../engine/graph/ops/index.ts';
import { loadPixArt, openPixArt, pixartPosEmbed, pixartSites, type PixArtRunner } from '../../../engine/models/pixart/index.ts';
import { type NpyArray, readNpy } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { ditCase, ref, runCase, tiny } from './cases.ts';
import { testController } from '../../support/controllers.ts';

let dir: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
const case2 = async (dit: PixArtRunner) => (await runCase(dit, await ditCase('dit_case2'))).output;

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('PixArt transformer structure (pixart-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixart-structure-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('2-D sin-cos tables of the base, a non-square and a larger grid equal the reference (float64 then rounded)', async () => {
    for (const [rows, cols] of [[8, 8], [6, 10], [12, 12]]) {
      const d = maxAbsDiff(pixartPosEmbed(rows, cols, 64, 8, 1), await ref('pos_embed', `grid_${rows}x${cols}.npy`));
      expect(d).toBeLessThan(1e-6);
    }
    // 256 models use scale 0.5: positions span [0, 2·base), not [0, base).
    const half = pixartPosEmbed(2, 2, 8, 8, 0.5);
    expect(half[2 * 8 + 4]).toBeCloseTo(Math.sin(8), 6); // row 1 of 2 → y = 1 / (2/8) / 0.5 = 8
  });

  it('adaLN-single of t = 0, 1, 261, 500, 999: embedded timestep and t_block within 1e-3 (F32 and F16)', async () => {
    for (const [file, sub] of [['pixart-tiny.f32.safetensors', []], ['pixart-tiny.f16.safetensors', ['from_f16_weights']]] as const) {
      const dit = await loadPixArt(await openPixArt(tiny(file)), { runtime: runtime(), cache, taps: true });
      const t = Array.from((await readNpy(tiny('golden', 'timestep_embedding', 't.npy'))).data as BigInt64Array, Number);
      const B = t.length;
      const { extras } = await dit.evaluateDetailed({ data: new Float32Array(B * 4 * 4 * 4), dims: [B, 4, 4, 4] }, t, { data: new Float32Array(B * 3 * 32), dims: [B, 3, 32] }, new Array<number>(B * 3).fill(1));
      for (const name of ['embedded_timestep', 't_block']) {
        expect(maxAbsDiff(extras[`tap/${name}`].data as Float32Array, await ref(...sub, 'timestep_embedding', `${name}.npy`))).toBeLessThan(1e-3);
      }
    }
  });

  it('sites: one self and one cross site per block in evaluation order, on the patch grid', async () => {
    const { config } = await openPixArt(tiny('transformer'));
    const sites = pixartSites(config, { height: 12, width: 20, tokens: 120 });
    expect(sites.blocks.map((b) => [b.self.ordinal, b.cross!.ordinal, b.ordinal, b.path])).toEqual([[0, 1, 0, 'transformer_blocks.0'], [2, 3, 1, 'transformer_blocks.1']]);
    expect(sites.blocks[1].cross).toMatchObject({ path: 'transformer_blocks.1.attn2', block: 'transformer_blocks.1', kind: 'cross', grid: { downsample: 2, tokens: 60 }, queryTokens: 60, keyTokens: 120, heads: 4, dimHead: 16 });
    expect(sites.attention.map((s) => `${s.ordinal}:${s.kind}:${s.path}`)).toEqual([
      '0:self:transformer_blocks.0.attn1', '1:cross:transformer_blocks.0.attn2', '2:self:transformer_blocks.1.attn1', '3:cross:transformer_blocks.1.attn2',
    ]);
    // The later half of the blocks is the decoder side style injection counts.
    expect(sites.attention.map((s) => s.tags.decoderBlock)).toEqual([undefined, undefined, 1, 1]);
    expect(pixartSites(config).blocks[0].self.queryTokens).toBe('(h/2)·(w/2)');
  });

  it('controllers reach every site: pass-through hooks leave the output unchanged, a cross-attention edit changes it', async () => {
    const spec = await openPixArt(tiny('pixart-tiny.f32.safetensors'));
    const plain = await case2(await loadPixArt(spec, { runtime: runtime(), cache }));
    const seen: string[] = [];
    const wrapped: string[] = [];
    const passThrough = testController({
      name: 'pass',
      signature: 'pass',
      replaceAttention: (_ctx, _site, qkv, next, opts) => next(qkv, opts),
      // Sees each sub-layer's input after the modulated norm; modulation, gates and residuals stay the block's.
      wrapSubLayer: (_ctx, call, x, next) => {
        wrapped.push(`${call.block.path}.${call.layer}`);
        return next(x);
      },
    }, (s) => void seen.push(...s.attention.map((x) => x.path)));
    const same = await case2(await loadPixArt(spec, { runtime: runtime(), cache, controllers: [passThrough] }));
    expect(seen).toHaveLength(4);
    expect(wrapped).toEqual(['transformer_blocks.0.attn1', 'transformer_blocks.0.attn2', 'transformer_blocks.0.ff', 'transformer_blocks.1.attn1', 'transformer_blocks.1.attn2', 'transformer_blocks.1.ff']);
    expect(maxAbsDiff(same, plain)).toBeLessThan(1e-5);

    const silenceCross = testController({
      name: 'silence',
      signature: 'silence',
      appliesTo: (s) => s.kind === 'cross',
      transformQKV: (ctx, _s, qkv) => ({ ...qkv, v: op.mul(ctx.g, qkv.v, 0) }),
    });
    const edited = await case2(await loadPixArt(spec, { runtime: runtime(), cache, controllers: [silenceCross] }));
    expect(maxAbsDiff(edited, plain)).toBeGreaterThan(1e-2);
  });

  it('a logit scale a controller passes on reaches the masked cross-attention kernel, fused and explicit alike', async () => {
    const spec = await openPixArt(tiny('transformer'));
    const plain = await case2(await loadPixArt(spec, { runtime: runtime(), cache }));
    const hot = (scale: number): AttentionController => testController({
      name: 'temperature',
      signature: `s=${scale}`,
      appliesTo: (s) => s.kind === 'cross',
      replaceAttention: (_ctx, _site, qkv, next) => next(qkv, { scale }),
    });
    const same = await case2(await loadPixArt(spec, { runtime: runtime(), cache, controllers: [hot(1 / Math.sqrt(16))] }));
    expect(maxAbsDiff(same, plain)).toBeLessThan(1e-6);
    const fused = await case2(await loadPixArt(spec, { runtime: runtime(), cache, controllers: [hot(0.05)] }));
    const explicit = await case2(await loadPixArt(spec, { runtime: runtime(), cache, controllers: [hot(0.05)], kernel: 'explicit' }));
    expect(maxAbsDiff(fused, plain)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(fused, explicit)).toBeLessThan(1e-4);
  });

  it('`debug dit` runs the golden inputs (case 3, non-square, 120 tokens) within 1e-3', async () => {
    const run = await DEBUG_MODULES.dit.load(tiny('transformer'));
    const inputs = new Map<string, NpyArray>();
    for (const n of ['x', 't', 'context', 'mask']) inputs.set(n, await readNpy(tiny('golden', 'dit_case3', `${n}.npy`)));
    const out = await run(inputs);
    expect(out.shape).toEqual([1, 8, 12, 20]);
    expect(maxAbsDiff(out.data as Float32Array, await ref('dit_case3', 'output.npy'))).toBeLessThan(1e-3);
  });

  it('refuses a latent that is not a multiple of the patch, or a caption of the wrong width', async () => {
    const dit = await loadPixArt(await openPixArt(tiny('transformer')), { runtime: runtime(), cache });
    const cap = { data: new Float32Array(120 * 32), dims: [1, 120, 32] };
    await expect(dit.evaluate({ data: new Float32Array(4 * 15 * 16), dims: [1, 4, 15, 16] }, [1], cap, new Array<number>(120).fill(1))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/multiple of the patch size 2/) });
    await expect(dit.evaluate({ data: new Float32Array(4 * 16 * 16), dims: [1, 4, 16, 16] }, [1], { data: new Float32Array(120 * 16), dims: [1, 120, 16] }, new Array<number>(120).fill(1))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});
