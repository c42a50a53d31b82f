import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { ModelSpec, TAESDSpec } from '../../engine/models/spec.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { writeHeaderOnly, type KeySpec } from './fixtures.ts';

const weights = (f: string) => sharedPath('weights', 'taesd', f);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taesd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function asTaesd(s: ModelSpec): TAESDSpec {
  if (s.family !== 'taesd') throw new Error(`expected taesd, got ${s.family}`);
  return s;
}

async function keysOf(file: string): Promise<Map<string, KeySpec>> {
  const h = await readSafetensorsHeader(file);
  return new Map([...h.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
}

describe.skipIf(!hasShared('weights', 'taesd'))('TAESD detection', () => {
  it('SD TAESD encoder file pairs with its decoder: 4 latent channels', async () => {
    const s = asTaesd(await detectModel(weights('taesd_random_encoder.safetensors')));
    expect(s.taesd).toEqual({ latentChannels: 4, channels: 64, hasEncoder: true, hasDecoder: true, midBlockGroupNorm: false, poolChannels: 0 });
    expect(s.files).toEqual([weights('taesd_random_encoder.safetensors'), weights('taesd_random_decoder.safetensors')]);
    expect(s.weights.size).toBe(67 + 67);
    expect(s.weightDType).toBe('F16');
    expect(s.scaleFactor).toBe(1);
    expect(s.weights.get('encoder.14.weight')).toMatchObject({ shape: [4, 64, 3, 3], sourceName: '14.weight' });
    expect(s.weights.scope('decoder').get('1.weight').shape).toEqual([64, 4, 3, 3]);
  });

  it('taef2 decoder alone: 32 latent channels, mid-block GroupNorm', async () => {
    const s = asTaesd(await detectModel(weights('taef2_decoder.safetensors'), { pairTaesd: false }));
    expect(s.taesd).toEqual({ latentChannels: 32, channels: 64, hasEncoder: false, hasDecoder: true, midBlockGroupNorm: true, poolChannels: 256 });
    expect(s.weights.size).toBe(79);
    expect(s.unexpectedKeys).toEqual([]);
    expect(s.weights.get('decoder.3.pool.1.weight').shape).toEqual([256]);
  });

  it('taef2 encoder + decoder', async () => {
    const s = asTaesd(await detectModel(weights('taef2_encoder.safetensors')));
    expect(s.taesd.latentChannels).toBe(32);
    expect(s.taesd.hasDecoder).toBe(true);
    expect(s.weights.size).toBe(158);
  });

  it('a pair that does not belong together → SHAPE_MISMATCH', async () => {
    await writeHeaderOnly(join(dir, 'mixed_encoder.safetensors'), await keysOf(weights('taef2_encoder.safetensors')));
    await writeHeaderOnly(join(dir, 'mixed_decoder.safetensors'), await keysOf(weights('taesd_random_decoder.safetensors')));
    const e = (await detectModel(join(dir, 'mixed_encoder.safetensors')).catch((x: unknown) => x)) as StudioError;
    expect(e.code).toBe('SHAPE_MISMATCH');
  });

  it('a missing block tensor → CHECKPOINT_INCOMPLETE naming it', async () => {
    const keys = await keysOf(weights('taesd_random_decoder.safetensors'));
    keys.delete('14.conv.2.bias');
    await writeHeaderOnly(join(dir, 'holey_decoder.safetensors'), keys);
    const e = (await detectModel(join(dir, 'holey_decoder.safetensors')).catch((x: unknown) => x)) as StudioError;
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.details?.missing).toEqual(['decoder.14.conv.2.bias']);
  });

  it('diffusers AutoencoderTiny folder maps onto the same canonical names', async () => {
    const folder = join(dir, 'tiny-vae');
    await mkdir(folder);
    const enc = await keysOf(weights('taesd_random_encoder.safetensors'));
    const dec = await keysOf(weights('taesd_random_decoder.safetensors'));
    const diffusersKeys = new Map<string, KeySpec>();
    enc.forEach((v, k) => diffusersKeys.set(`encoder.layers.${k}`, v));
    dec.forEach((v, k) => {
      const [i, ...rest] = k.split('.');
      diffusersKeys.set(`decoder.layers.${Number(i) - 1}.${rest.join('.')}`, v);
    });
    await writeHeaderOnly(join(folder, 'diffusion_pytorch_model.safetensors'), diffusersKeys);
    await writeFile(join(folder, 'config.json'), JSON.stringify({ _class_name: 'AutoencoderTiny', latent_channels: 4 }));
    const s = asTaesd(await detectModel(folder));
    expect(s.layout).toBe('diffusers-taesd');
    const pair = await detectModel(weights('taesd_random_encoder.safetensors'));
    expect(s.weights.keys().sort()).toEqual(pair.weights.keys().sort());
    expect(s.taesd).toEqual((pair as TAESDSpec).taesd);
    expect(s.weights.get('decoder.1.weight').sourceName).toBe('decoder.layers.0.weight');
  });
});
