import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectT5, looksLikeT5Encoder } from '../../../engine/models/t5/detect.ts';
import { relativePositionBucket } from '../../../engine/models/t5/relativePosition.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';
import { pixart, writeT5Variant } from './fixtures.ts';

describe('T5 relative-position buckets (bidirectional, 32 buckets, max distance 128)', () => {
  it('puts r ≤ 0 in 0..15 and r > 0 in 16..31, exact below 8, log-spaced, saturating', () => {
    const cases: Array<[number, number]> = [[0, 0], [-1, 1], [-7, 7], [-8, 8], [-16, 10], [-127, 15], [-128, 15], [-1000, 15], [1, 17], [7, 23], [8, 24], [16, 26], [64, 30], [127, 31], [5000, 31]];
    for (const [r, b] of cases) expect(relativePositionBucket(r, 32, 128), `r = ${r}`).toBe(b);
  });
});

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('T5 detection refuses broken files with a typed error naming the problem', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 't5-bad-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const file = (name: string) => join(dir, name);

  it('reads heads, buckets and d_kv from the shapes of pixart-tiny and routes on the anchor key', async () => {
    const spec = await detectT5(pixart());
    expect(spec.config).toMatchObject({ vocabSize: 32128, dModel: 32, numHeads: 4, dKv: 8, numBuckets: 32, numLayers: 2, feedForward: 'gated-gelu' });
    expect(spec.layout).toBe('transformers-folder');
    expect(looksLikeT5Encoder((await readSafetensorsHeader(pixart('text_encoder', 'model.safetensors'))).tensors)).toBe(true);
    expect(looksLikeT5Encoder((await readSafetensorsHeader(pixart('pixart-tiny.f32.safetensors'))).tensors)).toBe(false);
  });

  it('a missing block weight is CHECKPOINT_INCOMPLETE naming it', async () => {
    await writeT5Variant(file('no-wo.safetensors'), { rename: (k) => (k === 'encoder.block.1.layer.1.DenseReluDense.wo.weight' ? null : k) });
    await expect(detectT5(file('no-wo.safetensors'))).rejects.toMatchObject({
      code: 'CHECKPOINT_INCOMPLETE', details: { missing: ['encoder.block.1.layer.1.DenseReluDense.wo.weight'] },
    });
  });

  it('without the position bias or the embedding it is CHECKPOINT_INCOMPLETE listing both', async () => {
    await writeT5Variant(file('no-bias.safetensors'), { rename: (k) => (/relative_attention_bias|shared/.test(k) ? null : k) });
    const err = await detectT5(file('no-bias.safetensors')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CHECKPOINT_INCOMPLETE' });
    expect((err as Error).message).toMatch(/shared\.weight.*relative_attention_bias/);
  });

  it('a wrong shape is SHAPE_MISMATCH naming the tensor and both shapes', async () => {
    await writeT5Variant(file('bad-shape.safetensors'), {
      rename: (k) => (k === 'encoder.block.1.layer.0.SelfAttention.k.weight' ? null : k),
      extra: { 'encoder.block.1.layer.0.SelfAttention.k.weight': { dtype: 'F32', shape: [32, 16], data: new Float32Array(512) } },
    });
    await expect(detectT5(file('bad-shape.safetensors'))).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH', message: expect.stringMatching(/SelfAttention\.k\.weight is \[32, 16\], expected \[32, 32\]/),
    });
  });

  it('attention width that does not split into the heads of the bias is SHAPE_MISMATCH', async () => {
    await writeT5Variant(file('heads.safetensors'), {
      rename: (k) => (k.includes('relative_attention_bias') ? null : k),
      extra: { 'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight': { dtype: 'F32', shape: [32, 5], data: new Float32Array(160) } },
    });
    await expect(detectT5(file('heads.safetensors'))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/32 does not split into 5 heads/) });
  });

  it('integer weights are CHECKPOINT_UNSUPPORTED naming the dtype', async () => {
    await writeT5Variant(file('int.safetensors'), {
      rename: (k) => (k === 'encoder.final_layer_norm.weight' ? null : k),
      extra: { 'encoder.final_layer_norm.weight': { dtype: 'I32', shape: [32], data: new Int32Array(32) } },
    });
    await expect(detectT5(file('int.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT_UNSUPPORTED', message: expect.stringMatching(/I32.*final_layer_norm/) });
  });

  it('per-block position biases (UMT5) are CHECKPOINT_UNSUPPORTED, not silently ignored', async () => {
    await writeT5Variant(file('umt5.safetensors'), {
      extra: { 'encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight': { dtype: 'F32', shape: [32, 4], data: new Float32Array(128) } },
    });
    await expect(detectT5(file('umt5.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT_UNSUPPORTED', message: expect.stringMatching(/UMT5/) });
  });

  it('a file of another network is CHECKPOINT_UNSUPPORTED saying what was looked for', async () => {
    await expect(detectT5(sharedPath('golden', 'pixart-tiny', 'pixart-tiny.f32.safetensors'))).rejects.toMatchObject({
      code: 'CHECKPOINT_UNSUPPORTED', message: expect.stringMatching(/not a T5 encoder.*encoder\.block\.0\.layer\.0\.SelfAttention\.q\.weight/),
    });
  });

  it('a shard index naming an absent shard is CHECKPOINT_INCOMPLETE naming the file', async () => {
    const folder = join(dir, 'sharded');
    await mkdir(folder, { recursive: true });
    for (const f of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors']) await copyFile(pixart('text_encoder_sharded', f), join(folder, f));
    await expect(detectT5(folder)).rejects.toMatchObject({ code: 'CHECKPOINT_INCOMPLETE', message: expect.stringMatching(/model-00002-of-00002\.safetensors/) });
  });

  it('a truncated header is CHECKPOINT_CORRUPT and a folder without weights CHECKPOINT_INCOMPLETE', async () => {
    await writeFile(file('junk.safetensors'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3]));
    await expect(detectT5(file('junk.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    const empty = join(dir, 'empty', 'text_encoder');
    await mkdir(empty, { recursive: true });
    await expect(detectT5(join(dir, 'empty'))).rejects.toMatchObject({ code: 'CHECKPOINT_INCOMPLETE' });
  });

  it('a config that disagrees with the shapes is a warning; the shapes run', async () => {
    const folder = join(dir, 'disagree');
    await writeT5Variant(join(folder, 'model.safetensors'));
    await writeFile(join(folder, 'config.json'), JSON.stringify({ model_type: 't5', num_heads: 8, d_model: 32, relative_attention_max_distance: 64 }));
    const spec = await detectT5(folder);
    expect(spec.config.numHeads).toBe(4);
    expect(spec.config.maxDistance).toBe(64);
    expect(spec.warnings.join(' ')).toMatch(/num_heads 8, the weights have 4/);
  });
});
