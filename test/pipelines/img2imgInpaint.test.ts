import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensorBytes } from '../../engine/safetensors/reader.ts';
import { writeSafetensors, type TensorToWrite } from '../../engine/safetensors/writer.ts';
import { dispatch } from '../../engine/api/dispatch.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'ls-inpaint-'));
const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir, SHARED_DIR) });
const handlers = createHandlers(studio);

async function run(op: 'jobs.img2img' | 'jobs.inpaint', req: Record<string, unknown>) {
  const env = await dispatch(handlers, op, req);
  if (!env.ok) throw new Error(env.error.message);
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  expect(s.state, JSON.stringify(s.error)).toBe('done');
  return sharp(studio.results.get(s.images[0].imageId).png).raw().toBuffer({ resolveWithObject: true });
}

/** A 96×64 photo crop and a mask painting a 40×24 rectangle white. */
async function inputs() {
  const photo = await sharp(sharedPath('images', 'vermeer.jpg')).resize(96, 64, { fit: 'fill' }).png().toBuffer();
  const mask = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#000' } })
    .composite([{ input: await sharp({ create: { width: 40, height: 24, channels: 3, background: '#fff' } }).png().toBuffer(), left: 32, top: 16 }])
    .png().toBuffer();
  const original = await sharp(photo).raw().toBuffer();
  return { photo, mask, original };
}

const inside = (x: number, y: number) => x >= 32 && x < 72 && y >= 16 && y < 40;

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('img2img and inpainting', () => {
  let nineChannel: string;
  beforeAll(async () => {
    // The same tiny model with a 9-channel conv_in, as inpainting checkpoints have.
    nineChannel = join(dir, 'sd15-tiny-inpainting.safetensors');
    const header = await readSafetensorsHeader(tiny);
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, info] of header.tensors) {
      const bytes = await readTensorBytes(info);
      if (name === 'model.diffusion_model.input_blocks.0.0.weight') {
        const [o, , kh, kw] = info.shape;
        const src = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        const out = new Float32Array(o * 9 * kh * kw);
        for (let oc = 0; oc < o; oc++) for (let ic = 0; ic < 9; ic++) for (let k = 0; k < kh * kw; k++) {
          out[((oc * 9 + ic) * kh * kw) + k] = src[((oc * 4 + (ic % 4)) * kh * kw) + k] * 0.5;
        }
        tensors.set(name, { dtype: 'F32', shape: [o, 9, kh, kw], data: out });
      } else tensors.set(name, { dtype: info.dtype, shape: info.shape, data: bytes });
    }
    await writeSafetensors(nineChannel, tensors);
    copyFileSync(sharedPath('golden', 'sd15-tiny', 'config.json'), join(dir, 'config.json'));
  });

  it('img2img: same seed reproduces, strength changes how far the image moves', async () => {
    const { photo, original } = await inputs();
    const base = { model: tiny, prompt: 'a photo of a cat', steps: 10, seed: 3, image: { base64: photo.toString('base64') } };
    const weak = await run('jobs.img2img', { ...base, strength: 0.2 });
    const again = await run('jobs.img2img', { ...base, strength: 0.2 });
    const strong = await run('jobs.img2img', { ...base, strength: 0.9 });
    expect(weak.info.width).toBe(96);
    expect(weak.data.equals(again.data)).toBe(true);
    const dist = (a: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - original[i]), 0) / a.length;
    expect(dist(weak.data)).toBeLessThan(dist(strong.data));
  });

  it.each([['regular UNet', () => tiny], ['9-channel inpainting UNet', () => nineChannel]])(
    '%s: pixels outside the mask are exactly the original, inside they change',
    async (_label, model) => {
      const { photo, mask, original } = await inputs();
      const out = await run('jobs.inpaint', {
        model: model(), prompt: 'a photo of a cat', steps: 6, seed: 5, sampler: 'euler',
        image: { base64: photo.toString('base64') }, mask: { base64: mask.toString('base64') }, maskFeather: 6,
      });
      let changedInside = 0;
      let changedOutside = 0;
      for (let y = 0; y < 64; y++) for (let x = 0; x < 96; x++) for (let c = 0; c < 3; c++) {
        const i = (y * 96 + x) * 3 + c;
        if (out.data[i] === original[i]) continue;
        if (inside(x, y)) changedInside++;
        else changedOutside++;
      }
      expect(changedOutside).toBe(0);
      expect(changedInside).toBeGreaterThan(40 * 24 * 3 * 0.5);
    },
  );

  it('refuses unreadable masks and images with typed errors', async () => {
    const { photo } = await inputs();
    const env = await dispatch(handlers, 'jobs.inpaint', { model: tiny, prompt: 'x', image: { base64: photo.toString('base64') }, mask: { base64: Buffer.from('not an image').toString('base64') } });
    const s = await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
    expect(s.error?.code).toBe('IMAGE_INVALID');
  });
});
