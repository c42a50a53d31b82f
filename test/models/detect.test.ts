import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { ModelSpec, StableDiffusionSpec } from '../../engine/models/spec.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensor } from '../../engine/safetensors/reader.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { f32, sd15TinyKeys, writeHeaderOnly, type KeySpec } from './fixtures.ts';

const golden = (f: string) => sharedPath('golden', 'sd15-tiny', f);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'detect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<StudioError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(StudioError);
  return e as StudioError;
}

function asSD(spec: ModelSpec): StableDiffusionSpec {
  if (spec.family === 'taesd' || spec.family === 'pixart' || spec.family === 'sdxl') throw new Error('expected a Stable Diffusion spec');
  return spec;
}

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('sd15-tiny single files', () => {
  const expectTinyDimensions = (s: StableDiffusionSpec) => {
    expect(s.family).toBe('sd1');
    expect(s.layout).toBe('ldm-single-file');
    expect(s.unet).toMatchObject({
      inChannels: 4,
      outChannels: 4,
      modelChannels: 32,
      channelMult: [1, 2, 3, 3],
      numResBlocks: 2,
      transformerDepth: [1, 1, 1, 0],
      midTransformerDepth: 1,
      admInChannels: 0,
      contextDim: 64,
      useLinearProjection: false,
      timeEmbedDim: 128,
      midBlockAttention: true,
      numHeads: 8,
      numHeadChannels: null,
    });
    expect([...s.unet.attentionResolutions].sort()).toEqual([1, 2, 4]); // config: [4, 2, 1]
    expect(s.unet.headsPerLevel.slice(0, 3)).toEqual([8, 8, 8]);
    expect(s.vae).toEqual({
      inChannels: 3,
      outChannels: 3,
      ch: 32,
      chMult: [1, 2, 3, 3],
      numResBlocks: 2,
      attnLevels: [],
      zChannels: 4,
      embedDim: 4,
      doubleZ: true,
    });
    expect(s.textEncoders[0]).toMatchObject({
      vocabSize: 49408,
      hiddenSize: 64,
      numLayers: 2,
      intermediateSize: 256,
      maxPositions: 77,
      hiddenAct: 'quick_gelu',
      skipLastLayers: 0,
      hasPositionIds: true,
    });
    expect(s.scaleFactor).toBe(0.18215);
    expect(s.prediction).toBe('eps');
    expect(s.inpainting).toBe(false);
    expect(s.unexpectedKeys).toEqual([]);
    expect(s.weights.size).toBe(983);
  };

  it('F32 with an explicit config.json: every dimension of config.json, 4 text heads', async () => {
    const s = asSD(await detectModel(golden('sd15-tiny.f32.safetensors'), { configPath: golden('config.json') }));
    expectTinyDimensions(s);
    expect(s.textEncoders[0].numHeads).toBe(4);
    expect(s.textEncoders[0].headsSource).toBe('config');
    expect(s.configFile).toBe(golden('config.json'));
    expect(s.weightDType).toBe('F32');
    expect(s.warnings).toEqual([]);
  });

  it('F16 picks up the config.json beside it without being told', async () => {
    const s = asSD(await detectModel(golden('sd15-tiny.f16.safetensors')));
    expectTinyDimensions(s);
    expect(s.textEncoders[0].numHeads).toBe(4);
    expect(s.configFile).toBe(golden('config.json'));
    expect(s.weightDType).toBe('F16'); // position_ids (I64) does not make it 'mixed'
  });

  it('without any config, falls back to the SD1 convention (hidden / 64 text heads)', async () => {
    const s = asSD(await detectModel(golden('sd15-tiny.f32.safetensors'), { findConfig: false }));
    expect(s.textEncoders[0].numHeads).toBe(1);
    expect(s.textEncoders[0].headsSource).toBe('family-default');
    expect(s.unet.headsSource).toBe('family-default');
    expect(s.predictionSource).toBe('family-default');
  });

  it('WeightStore scopes resolve relative names to the checkpoint bytes', async () => {
    const s = await detectModel(golden('sd15-tiny.f32.safetensors'));
    const w = s.weights.scope('model.diffusion_model').scope('input_blocks.1.0');
    const info = w.get('in_layers.2.weight');
    expect(info).toMatchObject({ name: 'model.diffusion_model.input_blocks.1.0.in_layers.2.weight', shape: [32, 32, 3, 3] });
    const direct = (await readSafetensorsHeader(golden('sd15-tiny.f32.safetensors'))).tensors.get(info.name)!;
    expect(info.offset).toBe(direct.offset);
    expect(Array.from((await readTensor(info)).slice(0, 4) as Float32Array)).toEqual(
      Array.from((await readTensor(direct)).slice(0, 4) as Float32Array),
    );
    expect(w.path('in_layers.2.weight')).toBe(info.name);
    expect(w.keys()).toContain('emb_layers.1.bias');
    const e = (() => {
      try {
        w.get('in_layers.9.weight');
      } catch (x) {
        return x as StudioError;
      }
    })();
    expect(e?.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e?.message).toContain('"model.diffusion_model.input_blocks.1.0.in_layers.9.weight"');
  });

  describe('variants synthesised from the real key set', () => {
    let keys: Map<string, KeySpec>;
    beforeAll(async () => {
      keys = await sd15TinyKeys();
    });
    const variant = async (name: string, edit: (m: Map<string, KeySpec>) => void) => {
      const m = new Map(keys);
      edit(m);
      const path = join(dir, `${name}.safetensors`);
      await writeHeaderOnly(path, m);
      await copyFile(golden('config.json'), join(dir, `${name}.json`));
      return path;
    };

    it('a UNet key removed → CHECKPOINT_INCOMPLETE naming exactly that key', async () => {
      const gone = 'model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight';
      const e = await errorOf(detectModel(await variant('no-to_k', (m) => m.delete(gone))));
      expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
      expect(e.message).toContain(gone);
      expect(e.details?.missing).toEqual([gone]);
    });

    it('a key that detection itself reads, removed → still INCOMPLETE naming it', async () => {
      for (const gone of ['model.diffusion_model.input_blocks.0.0.weight', 'model.diffusion_model.input_blocks.6.0.op.weight', 'first_stage_model.encoder.conv_in.weight']) {
        const e = await errorOf(detectModel(await variant(`no-${gone}`, (m) => m.delete(gone))));
        expect(e.code, gone).toBe('CHECKPOINT_INCOMPLETE');
        expect(e.details?.missing, gone).toEqual([gone]);
      }
    });

    it('a whole VAE missing → INCOMPLETE listing its keys', async () => {
      const e = await errorOf(
        detectModel(await variant('no-vae', (m) => [...m.keys()].filter((k) => k.startsWith('first_stage_model.')).forEach((k) => m.delete(k)))),
      );
      expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
      expect(e.message).toContain('first_stage_model.encoder.conv_in.weight');
    });

    it('position_ids absent is fine; unexpected keys are a warning', async () => {
      const s = asSD(
        await detectModel(
          await variant('extra', (m) => {
            m.delete('cond_stage_model.transformer.text_model.embeddings.position_ids');
            m.set('model.diffusion_model.some_new_thing.weight', f32([3]));
            m.set('model_ema.decay', f32([]));
          }),
        ),
      );
      expect(s.textEncoders[0].hasPositionIds).toBe(false);
      expect(s.unexpectedKeys).toEqual(['model.diffusion_model.some_new_thing.weight']);
      expect(s.warnings.join('\n')).toContain('some_new_thing');
    });

    it('a tensor with the wrong shape → SHAPE_MISMATCH naming it', async () => {
      const bad = 'model.diffusion_model.output_blocks.5.1.proj_out.weight';
      const e = await errorOf(detectModel(await variant('bad-shape', (m) => m.set(bad, f32([96, 95, 1, 1])))));
      expect(e.code).toBe('SHAPE_MISMATCH');
      expect(e.message).toContain(bad);
    });

    it('old files without the text_model level map onto the canonical names', async () => {
      const s = asSD(
        await detectModel(
          await variant('old-transformers', (m) => {
            for (const [k, v] of [...m]) {
              if (!k.startsWith('cond_stage_model.transformer.text_model.')) continue;
              m.delete(k);
              m.set(k.replace('.text_model.', '.'), v);
            }
          }),
        ),
      );
      expect(s.textEncoders[0].numLayers).toBe(2);
      const ln = s.weights.get('cond_stage_model.transformer.text_model.final_layer_norm.weight');
      expect(ln.sourceName).toBe('cond_stage_model.transformer.final_layer_norm.weight');
    });

    it('inpainting: 9 UNet input channels', async () => {
      const s = asSD(await detectModel(await variant('inpaint', (m) => m.set('model.diffusion_model.input_blocks.0.0.weight', f32([32, 9, 3, 3])))));
      expect(s.inpainting).toBe(true);
      expect(s.unet.inChannels).toBe(9);
    });

    it('a config that disagrees with the shapes is reported, shapes win', async () => {
      const path = await variant('wrong-config', () => {});
      await writeFile(join(dir, 'wrong-config.json'), JSON.stringify({ unet: { model_channels: 320, num_heads: 8 }, text_encoder: { num_attention_heads: 4 } }));
      const s = asSD(await detectModel(path));
      expect(s.unet.modelChannels).toBe(32);
      expect(s.warnings.join('\n')).toMatch(/model_channels says 320 but the weights have 32/);
    });
  });
});

describe('files that are no known model', () => {
  it('unrelated keys → CHECKPOINT_UNSUPPORTED listing what was looked for', async () => {
    const path = join(dir, 'llm.safetensors');
    await writeHeaderOnly(path, [['transformer.h.0.attn.c_attn.weight', f32([8, 24])], ['lm_head.weight', f32([10, 8])]]);
    const e = await errorOf(detectModel(path));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e.message).toContain('model.diffusion_model.*');
    expect(e.message).toContain('cond_stage_model.model.*');
    expect(e.message).toContain('TAESD');
    expect((e.details?.lookedFor as string[]).length).toBeGreaterThan(3);
  });

  it('a lone diffusers component → UNSUPPORTED that points at the pipeline folder', async () => {
    const path = join(dir, 'diffusion_pytorch_model.safetensors');
    await writeHeaderOnly(path, [['down_blocks.0.resnets.0.conv1.weight', f32([4, 4, 3, 3])]]);
    const e = await errorOf(detectModel(path));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e.message).toContain('pipeline folder');
  });

  it('pickle checkpoints are refused without being opened', async () => {
    const path = join(dir, 'model.ckpt');
    await writeFile(path, 'PK');
    expect((await errorOf(detectModel(path))).code).toBe('CHECKPOINT_UNSUPPORTED');
  });

  it('a corrupt header stays CHECKPOINT_CORRUPT; a missing path is NOT_FOUND', async () => {
    const path = join(dir, 'garbage.safetensors');
    await writeFile(path, Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00not json at all!'));
    expect((await errorOf(detectModel(path))).code).toBe('CHECKPOINT_CORRUPT');
    expect((await errorOf(detectModel(join(dir, 'absent.safetensors')))).code).toBe('NOT_FOUND');
  });

  it('a folder that is no pipeline → UNSUPPORTED', async () => {
    expect((await errorOf(detectModel(dir))).code).toBe('CHECKPOINT_UNSUPPORTED');
  });
});
