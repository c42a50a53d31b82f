import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { buildPixArtGraph, expectedTensors, isPixArtTensors, openPixArt, pixartFromTensors, type PixArtConfig } from '../../../engine/models/pixart/index.ts';
import type { TensorInfo } from '../../../engine/safetensors/types.ts';
import { ControllerChain } from '../../../engine/controllers/chain.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { readTensorBytes } from '../../../engine/safetensors/reader.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { hasShared } from '../../support/shared.ts';
import { tiny } from './cases.ts';

let dir: string;

/** The original-layout F32 file rewritten with `edit` applied to its tensors. */
async function variant(name: string, edit: (t: Map<string, TensorToWrite>) => void): Promise<string> {
  const header = await readSafetensorsHeader(tiny('pixart-tiny.f32.safetensors'));
  const tensors = new Map<string, TensorToWrite>();
  for (const [k, info] of header.tensors) tensors.set(k, { dtype: info.dtype, shape: info.shape, data: await readTensorBytes(info) });
  edit(tensors);
  const path = join(dir, `${name}.safetensors`);
  await writeSafetensors(path, tensors);
  return path;
}

async function failure(p: Promise<unknown>): Promise<StudioError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(StudioError);
  return e as StudioError;
}

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('PixArt detection from shapes (pixart-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixart-detect-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every dimension from the shapes, heads and PE rules from the config beside the file', async () => {
    for (const file of ['pixart-tiny.f32.safetensors', 'transformer']) {
      const spec = await openPixArt(tiny(file));
      expect(spec.config).toMatchObject({
        inChannels: 4, outChannels: 8, patchSize: 2, width: 64, depth: 2, heads: 4, headsSource: 'config', mlpWidth: 256,
        captionChannels: 32, frequencyDim: 256, microConditions: false, sampleSize: 16, baseSize: 8, interpolationScale: 1,
      });
      expect(spec.unexpectedKeys).toEqual([]);
    }
    const original = await openPixArt(tiny('pixart-tiny.f32.safetensors'));
    expect(original.config.sampleSizeSource).toBe('pos_embed');
    expect(original.config.nullCaptionTokens).toBe(120);
    // qkv is split into three views of the same bytes, no copy.
    const q = original.weights.get('transformer_blocks.1.attn1.to_k.weight');
    expect(q).toMatchObject({ shape: [64, 64], sourceName: 'blocks.1.attn.qkv.weight' });
    expect((await openPixArt(tiny('transformer'))).config.nullCaptionTokens).toBe(0);
  });

  it('PE scale follows the official table, not diffusers’ default; micro-conditions follow the keys, not sample_size', async () => {
    const { tensors } = await readSafetensorsHeader(tiny('transformer', 'diffusion_pytorch_model.safetensors'));
    const at = (sampleSize: number, interpolationScale?: number) =>
      pixartFromTensors('t', tensors, { source: 'cfg', heads: 4, sampleSize, interpolationScale }).config;
    expect(at(32)).toMatchObject({ interpolationScale: 0.5, interpolationScaleSource: 'table', baseSize: 16 }); // diffusers would say 1
    expect(at(128)).toMatchObject({ interpolationScale: 2, microConditions: false }); // Σ-1024 shape, no size embedders
    expect(at(256, 3)).toMatchObject({ interpolationScale: 3, interpolationScaleSource: 'config' });
  });

  it('without a config the heads follow the 64-channel convention, and say so', async () => {
    const lone = join(dir, 'lone.safetensors');
    await copyFile(tiny('pixart-tiny.f32.safetensors'), lone);
    const spec = await openPixArt(lone);
    expect(spec.config).toMatchObject({ heads: 1, headsSource: 'family-default' });
    expect(spec.warnings.join(' ')).toMatch(/assumed 1 heads of 64/);
  });

  it('an incomplete file is refused naming the missing tensor', async () => {
    const path = await variant('no-cross-proj', (t) => t.delete('blocks.1.cross_attn.proj.weight'));
    const e = await failure(openPixArt(path, { configPath: tiny('config.json') }));
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.message).toContain('transformer_blocks.1.attn2.to_out.0.weight');
  });

  it('a mis-shaped tensor is refused naming it and both shapes', async () => {
    const path = await variant('bad-mlp', (t) => {
      t.set('blocks.0.mlp.fc2.weight', { dtype: 'F32', shape: [64, 128], data: new Float32Array(64 * 128) });
    });
    const e = await failure(openPixArt(path, { configPath: tiny('config.json') }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('transformer_blocks.0.ff.net.2.weight is [64, 128], expected [64, 256]');
  });

  it('a fused qkv that cannot split in three is a shape error naming it', async () => {
    const path = await variant('bad-qkv', (t) => {
      t.set('blocks.0.attn.qkv.weight', { dtype: 'F32', shape: [190, 64], data: new Float32Array(190 * 64) });
    });
    const e = await failure(openPixArt(path));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('blocks.0.attn.qkv.weight');
  });

  it('a file without the patch embedding names it; a file that is no PixArt says so', async () => {
    const noPatch = await variant('no-patch', (t) => {
      t.delete('x_embedder.proj.weight');
    });
    const e1 = await failure(openPixArt(noPatch));
    expect(e1.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e1.message).toContain('pos_embed.proj.weight');
    const other = await variant('other', (t) => {
      t.delete('t_block.1.weight');
    });
    const e2 = await failure(openPixArt(other));
    expect(e2.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e2.message).toMatch(/not a PixArt transformer/);
  });

  it('a sharded transformer/ folder (index + two shards) is the same model as the single file', async () => {
    const header = await readSafetensorsHeader(tiny('transformer', 'diffusion_pytorch_model.safetensors'));
    const shards = [new Map<string, TensorToWrite>(), new Map<string, TensorToWrite>()];
    const weightMap: Record<string, string> = {};
    let i = 0;
    for (const [k, info] of header.tensors) {
      const s = i++ % 2;
      shards[s].set(k, { dtype: info.dtype, shape: info.shape, data: await readTensorBytes(info) });
      weightMap[k] = `diffusion_pytorch_model-0000${s + 1}-of-00002.safetensors`;
    }
    const folder = join(dir, 'sharded', 'transformer');
    await mkdir(folder, { recursive: true });
    for (const [s, m] of shards.entries()) await writeSafetensors(join(folder, `diffusion_pytorch_model-0000${s + 1}-of-00002.safetensors`), m);
    await writeFile(join(folder, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    await copyFile(tiny('transformer', 'config.json'), join(folder, 'config.json'));
    const sharded = await openPixArt(join(dir, 'sharded'));
    const single = await openPixArt(tiny('transformer'));
    expect(sharded.files).toHaveLength(2);
    expect(sharded.config).toEqual(single.config);
    expect(isPixArtTensors(header.tensors)).toBe(true);
  });

  it('KV-compressed self-attention (PixArt-Σ research variant) is refused in plain words', async () => {
    const path = await variant('kv-compress', (t) => {
      t.set('blocks.0.attn.sr.weight', { dtype: 'F32', shape: [64, 1, 2, 2], data: new Float32Array(256) });
    });
    const e = await failure(openPixArt(path));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e.message).toMatch(/KV-compressed/);
  });
});

describe('PixArt detection at full size (header only, no data)', () => {
  const XL: PixArtConfig = {
    inChannels: 4, outChannels: 8, patchSize: 2, width: 1152, depth: 28, heads: 16, headsSource: 'family-default', mlpWidth: 4608,
    captionChannels: 4096, frequencyDim: 256, microConditions: true, sampleSize: 128, sampleSizeSource: 'config', baseSize: 64,
    interpolationScale: 2, interpolationScaleSource: 'table', nullCaptionTokens: 120,
  };
  const header = (c: PixArtConfig) => {
    const m = new Map<string, TensorInfo>();
    for (const [name, shape] of expectedTensors(c)) m.set(name, { name, dtype: 'F16', shape, offset: 0, byteLength: 2 * shape.reduce((a, b) => a * b, 1), file: 'xl.safetensors' });
    return m;
  };

  it('α-1024-MS: 28 blocks of 1152, 16 heads × 72 by the XL convention, micro-conditions from the size embedders', () => {
    const spec = pixartFromTensors('xl', header(XL), { source: 'transformer/config.json', sampleSize: 128 });
    expect(spec.config).toEqual(XL);
    expect(spec.warnings).toEqual([]);
    expect(spec.weightDType).toBe('F16');
  });

  it('the full-size graph builds from the header alone (fp32 and fp16 compute)', () => {
    const spec = pixartFromTensors('xl', header(XL), { source: 'c', sampleSize: 128 });
    for (const computeType of ['float32', 'float16'] as const) {
      const g = buildPixArtGraph(computeType, spec.weights, spec.config, new ControllerChain());
      const model = g.toModel(() => ({ location: 'xl.safetensors', offset: 0, length: 0 }));
      expect(g.externalWeights()).toHaveLength(expectedTensors(XL).size - 1); // y_embedding is not part of the network
      expect(model.graph?.input?.map((i) => i.name)).toEqual(['x', 't', 'caption', 'mask', 'pos_embed', 'resolution', 'aspect_ratio']);
      expect(model.graph?.node?.filter((n) => n.opType === 'MultiHeadAttention')).toHaveLength(56);
    }
  });

  it('Σ-1024: the same shapes without size embedders have no micro-conditions, whatever sample_size says', () => {
    const spec = pixartFromTensors('sigma', header({ ...XL, microConditions: false, nullCaptionTokens: 300 }), { source: 'c', sampleSize: 128 });
    expect(spec.config).toMatchObject({ microConditions: false, nullCaptionTokens: 300, heads: 16 });
  });
});
