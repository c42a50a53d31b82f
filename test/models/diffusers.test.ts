import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { f16ToF32 } from '../../engine/safetensors/halfFloat.ts';
import { readFloat32 } from '../../engine/safetensors/reader.ts';
import type { TensorToWrite } from '../../engine/safetensors/writer.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { hasShared } from '../support/shared.ts';
import { diffusersUNetKeys, diffusersVAEKeys, textConfig, unetConfig, vaeConfig } from './diffusersFixture.ts';
import { SCHEDULE_BUFFERS, numel, sd15TinyKeys, type KeySpec } from './fixtures.ts';

let seed = 1;
/** Deterministic pseudo-random values in (−1, 1) (a 32-bit LCG), so failures reproduce. */
function random(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = seed / 2 ** 31 - 1;
  }
  return out;
}
/** Random fp16 bit patterns in ±[0.5, 1): no conversion cost for millions of values. */
function randomHalfBits(n: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = 0x3800 | (seed >>> 16 & 0x83ff);
  }
  return out;
}

function tensors(keys: Map<string, KeySpec>, dtype: 'F32' | 'F16', prefix = ''): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [k, { shape }] of keys) {
    out.set(prefix + k, { dtype, shape, data: dtype === 'F32' ? random(numel(shape)) : randomHalfBits(numel(shape)) });
  }
  return out;
}

let root: string;
let pipeline: string;
let unet: Map<string, TensorToWrite>;
let vae32: Map<string, TensorToWrite>;

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('diffusers pipeline folder (sd15-tiny configuration)', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'diffusers-'));
    pipeline = join(root, 'sd15-tiny-diffusers');
    for (const d of ['unet', 'vae', 'text_encoder', 'tokenizer', 'scheduler']) await mkdir(join(pipeline, d), { recursive: true });
    const json = (p: string, v: unknown) => writeFile(join(pipeline, p), JSON.stringify(v));
    await json('model_index.json', { _class_name: 'StableDiffusionPipeline', unet: ['diffusers', 'UNet2DConditionModel'] });
    await json('unet/config.json', unetConfig);
    await json('vae/config.json', vaeConfig);
    await json('text_encoder/config.json', textConfig);
    await json('scheduler/scheduler_config.json', { _class_name: 'DDIMScheduler', prediction_type: 'epsilon' });
    await json('tokenizer/vocab.json', {});

    // Only an fp16 UNet (exercises the variant fallback); the VAE in both precisions.
    unet = tensors(diffusersUNetKeys(), 'F16');
    await writeSafetensors(join(pipeline, 'unet', 'diffusion_pytorch_model.fp16.safetensors'), unet, { format: 'pt' });
    vae32 = tensors(diffusersVAEKeys(), 'F32');
    await writeSafetensors(join(pipeline, 'vae', 'diffusion_pytorch_model.safetensors'), vae32);
    await writeSafetensors(join(pipeline, 'vae', 'diffusion_pytorch_model.fp16.safetensors'), tensors(diffusersVAEKeys(), 'F16'));
    // transformers CLIPTextModel names; current transformers no longer saves position_ids.
    const sd15 = await sd15TinyKeys();
    const text = new Map(
      [...sd15]
        .filter(([k]) => k.startsWith('cond_stage_model.transformer.') && !k.endsWith('position_ids'))
        .map(([k, v]) => [k.slice('cond_stage_model.transformer.'.length), v] as const),
    );
    await writeSafetensors(join(pipeline, 'text_encoder', 'model.safetensors'), tensors(text, 'F32'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('maps onto exactly the canonical key set and shapes of the real LDM file', async () => {
    const s = (await detectModel(pipeline)) as StableDiffusionSpec;
    const sd15 = await sd15TinyKeys();
    const ldm = [...sd15.keys()].filter((k) => !SCHEDULE_BUFFERS.includes(k) && !k.endsWith('position_ids'));
    expect(s.weights.keys().sort()).toEqual(ldm.sort());
    for (const k of ldm) expect(s.weights.get(k).shape, k).toEqual(sd15.get(k)!.shape);
    expect(s.unexpectedKeys).toEqual([]);
  });

  it('reads dimensions from shapes and heads / prediction from the diffusers configs', async () => {
    const s = (await detectModel(pipeline)) as StableDiffusionSpec;
    expect(s.family).toBe('sd1');
    expect(s.layout).toBe('diffusers');
    expect(s.unet).toMatchObject({ modelChannels: 32, channelMult: [1, 2, 3, 3], numResBlocks: 2, contextDim: 64, attentionLevels: [0, 1, 2] });
    expect(s.unet.headsPerLevel).toEqual([8, 8, 8, 8]);
    expect(s.unet.headsSource).toBe('config');
    expect(s.vae.chMult).toEqual([1, 2, 3, 3]);
    expect(s.textEncoders[0]).toMatchObject({ numHeads: 4, headsSource: 'config', numLayers: 2, hasPositionIds: false });
    expect(s.prediction).toBe('eps');
    expect(s.predictionSource).toBe('config');
    expect(s.tokenizerDir).toBe(join(pipeline, 'tokenizer'));
    expect(s.weightDType).toBe('mixed'); // fp16 UNet, fp32 VAE and text encoder
    expect(s.warnings).toEqual([]);
    expect(s.files).toHaveLength(3);
  });

  it('canonical names point at the bytes of the diffusers tensors', async () => {
    const s = (await detectModel(pipeline)) as StableDiffusionSpec;
    const skip = s.weights.scope('model.diffusion_model.input_blocks.4.0').get('skip_connection.weight');
    expect(skip.sourceName).toBe('down_blocks.1.resnets.0.conv_shortcut.weight');
    const written = f16ToF32(unet.get('down_blocks.1.resnets.0.conv_shortcut.weight')!.data as Uint16Array);
    expect(Array.from(await readFloat32(skip))).toEqual(Array.from(written));

    const up = s.weights.get('model.diffusion_model.output_blocks.5.2.conv.weight');
    expect(up.sourceName).toBe('up_blocks.1.upsamplers.0.conv.weight');

    const ups = s.weights.get('first_stage_model.decoder.up.3.upsample.conv.weight');
    expect(ups.sourceName).toBe('decoder.up_blocks.0.upsamplers.0.conv.weight');
    const q = s.weights.get('first_stage_model.encoder.mid.attn_1.q.weight');
    expect(q.shape).toEqual([96, 96, 1, 1]); // Linear [96, 96] viewed as LDM's 1x1 conv
    expect(Array.from(await readFloat32(q))).toEqual(Array.from(vae32.get('encoder.mid_block.attentions.0.to_q.weight')!.data as Float32Array));
  });

  it('prefers the fp16 VAE when asked for the fp16 variant', async () => {
    const s = await detectModel(pipeline, { variant: 'fp16' });
    expect(s.weights.get('first_stage_model.quant_conv.weight').file).toMatch(/vae\/diffusion_pytorch_model\.fp16\.safetensors$/);
    expect(s.weightDType).toBe('mixed');
  });

  it('a component without weights → CHECKPOINT_INCOMPLETE', async () => {
    const broken = join(root, 'no-text');
    for (const d of ['unet', 'vae', 'text_encoder']) await mkdir(join(broken, d), { recursive: true });
    await writeFile(join(broken, 'model_index.json'), '{}');
    await writeSafetensors(join(broken, 'unet', 'diffusion_pytorch_model.safetensors'), new Map([['conv_in.weight', { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }]]));
    const e = (await detectModel(broken).catch((x: unknown) => x)) as StudioError;
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
  });
});
