import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildContext, SessionCache } from '../../../engine/graph/session.ts';
import type { GraphBuilder } from '../../../engine/graph/builder.ts';
import { detectT5 } from '../../../engine/models/t5/detect.ts';
import { T5Encoder } from '../../../engine/models/t5/encoder.ts';
import { t5Prompt } from '../../../engine/models/t5/promptTokens.ts';
import { PIXART_MAX_LENGTH, t5TokenizerFor } from '../../../engine/models/t5/tokenizer.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { pixart, writeT5Variant } from './fixtures.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });
const SETS = ['text', 'text_max_length_300'] as const;

async function golden(set: string, f16 = false) {
  const at = (f: string) => pixart('golden', ...(f16 ? ['from_f16_weights'] : []), set, f);
  const ids = await readNpy(pixart('golden', set, 'input_ids.npy'));
  const mask = await readNpy(pixart('golden', set, 'attention_mask.npy'));
  return { ids: ids.data as BigInt64Array, mask: mask.data as BigInt64Array, L: ids.shape[1], ref: npyToFloat32(await readNpy(at('last_hidden_state.npy'))) };
}

async function encode(path: string, set: string, opts: { variant?: 'fp32' | 'fp16'; kernel?: 'fused' | 'explicit'; f16Golden?: boolean; weightCast?: 'load' | 'run' } = {}) {
  const spec = await detectT5(path, { variant: opts.variant });
  const g = await golden(set, opts.f16Golden);
  const out = await new T5Encoder(spec, { cache, kernel: opts.kernel, weightCast: opts.weightCast }).encodeIds(g.ids, g.mask, g.L);
  expect(out.dims).toEqual([g.ids.length / g.L, g.L, 32]);
  return { diff: maxAbsDiff(out.data, g.ref), spec, out };
}

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('T5 encoder against pixart-tiny (transformers T5EncoderModel with masks)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 't5-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  for (const set of SETS) {
    it(`${set}: F32 folder, sharded folder and both kernels within 1e-3`, async () => {
      for (const kernel of ['fused', 'explicit'] as const) {
        const folder = await encode(pixart('text_encoder'), set, { kernel });
        const sharded = await encode(pixart('text_encoder_sharded'), set, { kernel });
        expect(folder.diff, `folder ${kernel}`).toBeLessThan(1e-3);
        expect(sharded.diff, `sharded ${kernel}`).toBeLessThan(1e-3);
        expect(sharded.spec.files).toHaveLength(2);
      }
    });

    it(`${set}: F16 weights (fp16 variant of the folder) match the F16 goldens within 1e-3 and the F32 ones within 3e-2`, async () => {
      const own = await encode(pixart('text_encoder'), set, { variant: 'fp16', f16Golden: true });
      expect(own.spec.weightDType).toBe('F16');
      expect(own.diff).toBeLessThan(1e-3);
      // Casting each weight while it runs (default) or once at load gives the same numbers.
      const folded = await encode(pixart('text_encoder'), set, { variant: 'fp16', f16Golden: true, weightCast: 'load' });
      expect(maxAbsDiff(folded.out.data, own.out.data)).toBe(0);
      expect((await encode(pixart('text_encoder'), set, { variant: 'fp16' })).diff).toBeLessThan(3e-2);
    });
  }

  it('a single t5xxl-style file with no config beside it (heads from the bias shape, v1.1 max distance)', async () => {
    const file = join(dir, 'single', 't5xxl_tiny_fp16.safetensors');
    await writeT5Variant(file, { dtype: 'F16' });
    const r = await encode(file, 'text', { f16Golden: true });
    expect(r.spec.layout).toBe('single-file');
    expect(r.spec.configFile).toBeUndefined();
    expect(r.spec.config).toMatchObject({ numHeads: 4, dKv: 8, dFf: 64, numLayers: 2, maxDistance: 128, source: 't5-v1.1-default' });
    expect(r.diff).toBeLessThan(1e-3);
  });

  it('an SD3-style file: the encoder under text_encoders.t5xxl.transformer., only encoder.embed_tokens, other towers beside', async () => {
    const file = join(dir, 'sd3', 'sd3_tiny.safetensors');
    await writeT5Variant(file, {
      rename: (k) => `text_encoders.t5xxl.transformer.${k === 'shared.weight' ? 'encoder.embed_tokens.weight' : k}`,
      extra: { 'text_encoders.clip_l.transformer.text_model.final_layer_norm.weight': { dtype: 'F32', shape: [4], data: new Float32Array(4) } },
    });
    const r = await encode(file, 'text_max_length_300');
    expect(r.diff).toBeLessThan(1e-3);
    expect(r.spec.warnings.join(' ')).toMatch(/1 tensor\(s\) outside the T5 encoder ignored/);
  });

  it('the mask is applied: all-ones masks give the no-mask diagnostic, not the golden', async () => {
    const spec = await detectT5(pixart('text_encoder'));
    const g = await golden('text');
    const out = await new T5Encoder(spec, { cache }).encodeIds(g.ids, g.mask.map(() => 1n), g.L);
    const diagnostic = npyToFloat32(await readNpy(pixart('golden', 'text', 'diagnostic_no_attention_mask_last_hidden_state.npy')));
    expect(maxAbsDiff(out.data, diagnostic)).toBeLessThan(1e-3);
    expect(maxAbsDiff(out.data, g.ref)).toBeGreaterThan(0.1);
  });

  it('never builds a float16 graph, even when the provider computes in float16', async () => {
    const built: GraphBuilder[] = [];
    class HalfCache extends SessionCache {
      override get(...[key, build, options]: Parameters<SessionCache['get']>) {
        return super.get(key, async (ctx: BuildContext) => {
          const g = await build({ ...ctx, computeType: 'float16', provider: { ...ctx.provider, computeType: 'float16' } });
          built.push(g);
          return g;
        }, options);
      }
    }
    const half = new HalfCache({ intraOpNumThreads: 1 });
    const spec = await detectT5(pixart('text_encoder'), { variant: 'fp16' });
    const g = await golden('text', true);
    const out = await new T5Encoder(spec, { cache: half }).encodeIds(g.ids, g.mask, g.L);
    expect(built.map((b) => b.computeType)).toEqual(['float32']);
    expect(maxAbsDiff(out.data, g.ref)).toBeLessThan(1e-3);
    await half.clear();
  });

  it('refuses ids outside the vocabulary and masks that are not 0/1, by position', async () => {
    const enc = new T5Encoder(await detectT5(pixart('text_encoder')), { cache });
    await expect(enc.encodeIds([[5, 32128, 1]], [[1, 1, 1]])).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/32128 at \[0, 1\]/) });
    await expect(enc.encodeIds([[5, 1, 0]], [[1, 2, 0]])).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/mask value 2 at \[0, 1\]/) });
    await expect(enc.encodeIds([[5, 1, 0]], [[1, 1]])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });

  it('prompts straight from text (bundled spiece.model, PixArt lowercasing) give the goldens at 120 and 300', async () => {
    const prompts = (JSON.parse(await readFile(pixart('manifest.json'), 'utf8')) as { text_prompts: string[] }).text_prompts;
    const spec = await detectT5(pixart('text_encoder'));
    const tokenizer = await t5TokenizerFor(spec);
    const enc = new T5Encoder(spec, { cache });
    for (const [set, L] of [['text', PIXART_MAX_LENGTH.alpha], ['text_max_length_300', PIXART_MAX_LENGTH.sigma]] as const) {
      const out = await enc.encodePrompts(prompts.map((p) => t5Prompt(tokenizer, p, L)));
      expect(out.dims).toEqual([4, L, 32]);
      expect(maxAbsDiff(out.data, (await golden(set)).ref), set).toBeLessThan(1e-3);
    }
  });

  it('a model.safetensors taken out of its folder keeps its config.json', async () => {
    const sub = join(dir, 'copied');
    await writeT5Variant(join(sub, 'model.safetensors'));
    await copyFile(pixart('text_encoder', 'config.json'), join(sub, 'config.json'));
    const spec = await detectT5(join(sub, 'model.safetensors'));
    expect(spec.configFile).toBe(join(sub, 'config.json'));
    expect(spec.config.source).toBe('config');
  });
});
