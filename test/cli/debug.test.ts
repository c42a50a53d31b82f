import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { loadImageEncoder } from '../../engine/models/clipVision/encoder.ts';
import { npyToFloat32, readNpy, writeNpy } from '../../engine/npy/npy.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { writeTinyImageEncoder } from '../support/tinyIpAdapter.ts';

const dir = mkdtempSync(join(tmpdir(), 'ls-debug-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `latent-studio debug <module>` and returns the written array. */
async function debug(module: string, checkpoint: string, inputs: Record<string, string>, extra: string[] = []): Promise<Float32Array> {
  const out = join(dir, `${module}-${Math.random().toString(36).slice(2)}.npy`);
  const args = ['node', 'latent-studio', 'debug', module, '--checkpoint', checkpoint, ...Object.entries(inputs).flatMap(([k, v]) => ['--in', `${k}=${v}`]), '--out', out, ...extra];
  const r = await captureOutput(() => main(args));
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/wrote .*\.npy/);
  return npyToFloat32(await readNpy(out));
}

async function expectClose(got: Float32Array, goldenFile: string, limit: number): Promise<number> {
  const ref = npyToFloat32(await readNpy(goldenFile));
  expect(got.length).toBe(ref.length);
  const d = maxAbsDiff(got, ref);
  expect(d, goldenFile).toBeLessThan(limit);
  return d;
}

describe('latent-studio debug', () => {
  it('--help lists every network module and tokenize', async () => {
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', '--help']));
    for (const m of ['tokenize', 'text-encoder', 't5-encoder', 'unet', 'vae-decoder', 'vae-encoder', 'taesd-decoder', 'taesd-encoder', 'clip-vision']) {
      expect(r.out + r.err).toMatch(new RegExp(`\\b${m}\\b`));
    }
  });

  it('tokenize keeps printing the 77 CLIP ids by default', async () => {
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'tokenize', '--text', 'a photo of a cat']));
    expect(r.code, r.err).toBe(0);
    const ids = JSON.parse(r.out) as number[];
    expect(ids).toHaveLength(77);
    expect([ids[0], ids[6], ids[7]]).toEqual([49406, 49407, 49407]);
  });

  it.skipIf(!hasShared('golden', 'pixart-tiny'))('tokenize --checkpoint on a PixArt pipeline folder (model_index.json, no unet/) takes T5\'s tokenizer', async () => {
    const pipe = join(dir, 'pixart-pipe');
    mkdirSync(join(pipe, 'text_encoder'), { recursive: true });
    writeFileSync(join(pipe, 'model_index.json'), JSON.stringify({ _class_name: 'PixArtAlphaPipeline', text_encoder: ['transformers', 'T5EncoderModel'] }));
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(sharedPath('golden', 'pixart-tiny', 'text_encoder', f), join(pipe, 'text_encoder', f));
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'tokenize', '--checkpoint', pipe, '--text', 'a photo of a cat']));
    expect(r.code, r.err).toBe(0);
    const ids = await readNpy(sharedPath('golden', 'pixart-tiny', 'golden', 'text', 'input_ids.npy'));
    expect((JSON.parse(r.out) as { ids: number[] }).ids).toEqual(Array.from((ids.data as BigInt64Array).slice(0, 120), Number));
  });

  it('refuses a missing input by name', async () => {
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 't5-encoder', '--checkpoint', '/nonexistent', '--out', join(dir, 'x.npy')]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--in ids=/);
  });

  const sd = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
  describe.skipIf(!hasShared('golden', 'sd15-tiny'))('sd15-tiny goldens (limit 1e-3)', () => {
    const ckpt = sd('sd15-tiny.f32.safetensors');
    it('text-encoder', async () => {
      await expectClose(await debug('text-encoder', ckpt, { ids: sd('golden/text/input_ids.npy') }), sd('golden/text/last_hidden_state.npy'), 1e-3);
    });
    it('unet', async () => {
      const c = (f: string) => sd('golden/unet_case1', f);
      await expectClose(await debug('unet', ckpt, { x: c('x.npy'), t: c('t.npy'), context: c('context.npy') }), c('eps.npy'), 1e-3);
    });
    it('vae-decoder: diffusion-space z to the raw image', async () => {
      await expectClose(await debug('vae-decoder', ckpt, { z: sd('golden/vae_decoder/z.npy') }), sd('golden/vae_decoder/image.npy'), 1e-3);
    });
    it('vae-encoder: image to moments; the F16 file matches its own goldens', async () => {
      await expectClose(await debug('vae-encoder', ckpt, { image: sd('golden/vae_encoder/image.npy') }), sd('golden/vae_encoder/moments.npy'), 1e-3);
      await expectClose(await debug('vae-encoder', sd('sd15-tiny.f16.safetensors'), { image: sd('golden/vae_encoder/image.npy') }), sd('golden/from_f16_weights/vae_encoder/moments.npy'), 1e-3);
    });
  });

  const ts = (set: string, f: string) => sharedPath('golden', 'taesd', set, 'golden', f);
  describe.skipIf(!hasShared('golden', 'taesd') || !hasShared('weights', 'taesd'))('TAESD goldens (limit 1e-3)', () => {
    for (const [set, prefix] of [['taesd-random', 'taesd_random'], ['taef2', 'taef2']] as const) {
      it(`${set}: taesd-encoder and taesd-decoder`, async () => {
        const enc = sharedPath('weights', 'taesd', `${prefix}_encoder.safetensors`);
        const decFile = sharedPath('weights', 'taesd', `${prefix}_decoder.safetensors`);
        await expectClose(await debug('taesd-encoder', enc, { image: ts(set, 'encoder_input_image01.npy') }), ts(set, 'encoder_output_latents.npy'), 1e-3);
        await expectClose(await debug('taesd-decoder', decFile, { latents: ts(set, 'encoder_output_latents.npy') }), ts(set, 'decoder_output_image.npy'), 1e-3);
        await expectClose(await debug('taesd-decoder', decFile, { latents: ts(set, 'decoder_case2_latents.npy') }), ts(set, 'decoder_case2_image.npy'), 1e-3);
      });
    }
  });

  const px = (...p: string[]) => sharedPath('golden', 'pixart-tiny', ...p);
  describe.skipIf(!hasShared('golden', 'pixart-tiny'))('pixart-tiny T5 goldens', () => {
    for (const sub of ['text', 'text_max_length_300']) {
      it(`t5-encoder on ${sub}: folder, sharded folder, F16 single file`, async () => {
        const inputs = { ids: px('golden', sub, 'input_ids.npy'), mask: px('golden', sub, 'attention_mask.npy') };
        await expectClose(await debug('t5-encoder', px('text_encoder'), inputs), px('golden', sub, 'last_hidden_state.npy'), 1e-3);
        await expectClose(await debug('t5-encoder', px('text_encoder_sharded'), inputs), px('golden', sub, 'last_hidden_state.npy'), 1e-3);
        const f16 = px('text_encoder', 'model.fp16.safetensors');
        await expectClose(await debug('t5-encoder', f16, inputs), px('golden', 'from_f16_weights', sub, 'last_hidden_state.npy'), 1e-3);
        await expectClose(await debug('t5-encoder', f16, inputs), px('golden', sub, 'last_hidden_state.npy'), 3e-2);
      });
    }
  });

  it('clip-vision and clip-vision-penultimate give what the image encoder computes', async () => {
    const enc = join(dir, 'image_encoder');
    await writeTinyImageEncoder(enc, { hidden: 32, heads: 4, patch: 14, image: 28, layers: 2, projection: 48 });
    const pixels = Float32Array.from({ length: 2 * 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    const file = join(dir, 'pixels.npy');
    await writeNpy(file, { dtype: '<f4', shape: [2, 3, 28, 28], data: pixels });
    const encoder = await loadImageEncoder(enc);
    const host = { data: pixels, dims: [2, 3, 28, 28] };
    const embeds = (await encoder.embeds(host)).data as Float32Array;
    const hidden = (await encoder.penultimate(host)).data as Float32Array;
    expect(maxAbsDiff(await debug('clip-vision', enc, { pixels: file }), embeds)).toBe(0);
    expect(maxAbsDiff(await debug('clip-vision-penultimate', enc, { pixels: file }), hidden)).toBe(0);
    expect(embeds.length).toBe(2 * 48);
  });
});
