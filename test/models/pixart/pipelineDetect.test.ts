import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStudioError, type StudioError } from '../../../engine/api/errors.ts';
import { inspectModel } from '../../../engine/catalog/inspect.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { PixArtPipelineSpec } from '../../../engine/models/spec.ts';
import { pixartNullCaption } from '../../../engine/models/pixart/runner.ts';
import { t5Conditioner } from '../../../engine/pipelines/t5Conditioner.ts';
import { T5Encoder } from '../../../engine/models/t5/encoder.ts';
import { t5TokenizerFor } from '../../../engine/models/t5/tokenizer.ts';
import { hasShared } from '../../support/shared.ts';
import { pixartTiny, sd15Tiny, writeTinyPixArtFolder, writeTinyVae } from '../../pipelines/pixartFolder.ts';

const root = mkdtempSync(join(tmpdir(), 'ls-pixart-detect-'));

async function error(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    if (isStudioError(e)) return e;
    throw e;
  }
  throw new Error('expected a StudioError');
}

describe.skipIf(!hasShared('golden', 'pixart-tiny') || !hasShared('golden', 'sd15-tiny'))('PixArt pipelines as users hold them', () => {
  it('a diffusers folder: α from model_index, T5 + VAE from their folders, linear schedule, 4.5 guidance', async () => {
    const spec = (await detectModel(await writeTinyPixArtFolder(join(root, 'ok')))) as PixArtPipelineSpec;
    expect(spec.family).toBe('pixart');
    expect(spec.variant).toBe('alpha');
    expect(spec.maxTokens).toBe(120);
    expect(spec.scaleFactor).toBe(0.18215);
    expect(spec.schedule.betaSchedule).toBe('linear');
    expect(spec.nativeSize).toBe(128);
    expect(spec.textEncoders).toHaveLength(1);
    expect(spec.vae.embedDim).toBe(4);
  });

  it.each([
    ['text encoder', { textEncoder: false }, /T5 text encoder.*text_encoder\//],
    ['VAE', { vae: false }, /VAE.*vae\//],
  ])('a folder without its %s: CHECKPOINT_INCOMPLETE naming it, also in the model list', async (what, parts, message) => {
    const dir = await writeTinyPixArtFolder(join(root, `no-${what.replace(' ', '-')}`), parts);
    const e = await error(detectModel(dir));
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.message).toMatch(message);
    const entry = await inspectModel(dir);
    expect(entry.error?.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(entry.error?.message).toMatch(message);
  });

  it('a folder whose model_index names another pipeline (SD3 also has transformer/) is not read as PixArt', async () => {
    const dir = await writeTinyPixArtFolder(join(root, 'sd3'));
    writeFileSync(join(dir, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusion3Pipeline' }));
    const e = await error(detectModel(dir));
    expect(e.message).not.toMatch(/PixArt/);
  });

  it('a folder missing both names both', async () => {
    const e = await error(detectModel(await writeTinyPixArtFolder(join(root, 'bare'), { textEncoder: false, vae: false })));
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.details?.missing).toEqual(['a T5 text encoder', 'a VAE']);
  });

  it('a VAE whose latent width does not fit the transformer is a SHAPE_MISMATCH, not a crash later', async () => {
    const dir = await writeTinyPixArtFolder(join(root, 'wrong-vae'), { vae: false });
    mkdirSync(join(dir, 'vae'));
    // The T5 file is no VAE at all.
    copyFileSync(pixartTiny('text_encoder', 'model.safetensors'), join(dir, 'vae', 'diffusion_pytorch_model.safetensors'));
    const e = await error(detectModel(dir));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e.message).toMatch(/not a KL autoencoder/);
  });

  it('the original single file with a t5 file and a VAE the user points at (a whole SD checkpoint serves)', async () => {
    const dir = join(root, 'single');
    mkdirSync(dir);
    const file = join(dir, 'PixArt-tiny-512.safetensors');
    copyFileSync(pixartTiny('pixart-tiny.f32.safetensors'), file);
    copyFileSync(pixartTiny('config.json'), join(dir, 'PixArt-tiny-512.json'));
    const noParts = await error(detectModel(file));
    expect(noParts.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(noParts.message).toMatch(/t5/);
    copyFileSync(pixartTiny('text_encoder', 'model.safetensors'), join(dir, 't5xxl_tiny.safetensors'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 't5' }));
    const noVae = await error(detectModel(file));
    expect(noVae.message).toMatch(/VAE/);
    const spec = (await detectModel(file, { vaePath: sd15Tiny })) as PixArtPipelineSpec;
    expect(spec.layout).toBe('pixart-original');
    expect(spec.vaeSource).toBe(sd15Tiny);
    // A VAE file beside it is found by name.
    await writeTinyVae(join(dir, 'tiny-vae.safetensors'));
    const beside = (await detectModel(file)) as PixArtPipelineSpec;
    expect(beside.vaeSource).toBe(join(dir, 'tiny-vae.safetensors'));

    // The model list names the parts beside it for what they are, not as broken checkpoints.
    const t5Entry = await inspectModel(join(dir, 't5xxl_tiny.safetensors'));
    expect([t5Entry.error, t5Entry.architecture?.family]).toEqual([null, 't5-encoder']);
    const vaeEntry = await inspectModel(join(dir, 'tiny-vae.safetensors'));
    expect([vaeEntry.error, vaeEntry.architecture?.family]).toEqual([null, 'vae']);
    expect((await inspectModel(file)).architecture?.summary).toMatch(/^PixArt-α DiT 2 blocks × 64/);

    // The original file keeps the learned null caption: with no negative prompt it is the unconditional row, under the prompt's mask.
    const nullCaption = await pixartNullCaption(spec.transformer);
    expect(nullCaption?.dims).toEqual([120, 32]);
    const conditioner = t5Conditioner(new T5Encoder(spec.textEncoders[0], { threads: 1 }), await t5TokenizerFor(spec.textEncoders[0]), { maxTokens: 120, nullCaption });
    const { cond, uncond } = await conditioner.encode('a photo of a cat', '');
    expect(Array.from(uncond.context.data)).toEqual(Array.from(nullCaption!.data));
    expect(Array.from(uncond.contextMask!.data)).toEqual(Array.from(cond.contextMask!.data));
    const typed = await conditioner.encode('a photo of a cat', 'blurry');
    expect(Array.from(typed.uncond.context.data)).not.toEqual(Array.from(nullCaption!.data));
    expect(Array.from(typed.uncond.contextMask!.data).filter((v) => v === 1).length).toBe(3);
  });
});
