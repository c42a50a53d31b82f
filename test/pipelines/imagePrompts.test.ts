import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { processorOrder } from '../../engine/controllers/ipAdapter/layout.ts';
import { detectModel } from '../../engine/models/detect.ts';
import { unetSites } from '../../engine/models/unet/sites.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';
import { writeTinyImageEncoder, writeTinyIpAdapter, writeTinyIpAdapterPlus } from '../support/tinyIpAdapter.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'ls-ipa-'));
const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir, SHARED_DIR) });
const handlers = createHandlers(studio);
const adapter = join(dir, 'ip', 'ip-adapter_tiny.safetensors');
const plusAdapter = join(dir, 'ip', 'ip-adapter-plus_tiny.safetensors');

async function run(op: 'jobs.generate' | 'jobs.inpaint', req: Record<string, unknown>) {
  const env = await dispatch(handlers, op, req);
  if (!env.ok) throw new Error(env.error.message);
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  if (s.state !== 'done') throw new Error(JSON.stringify(s.error));
  return studio.results.get(s.images[0].imageId);
}

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('image prompts in generate (sd15-tiny, random adapter and encoder)', () => {
  let reference: Buffer;
  beforeAll(async () => {
    const spec = await detectModel(tiny);
    if (spec.family === 'taesd') throw new Error('expected Stable Diffusion');
    const widths = processorOrder(unetSites(spec.unet).attention).map((b) => b.site.channels);
    await writeTinyIpAdapter(adapter, widths);
    await writeTinyIpAdapterPlus(plusAdapter, widths);
    await writeTinyImageEncoder(join(dir, 'ip', 'image_encoder'));
    reference = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c03020' } }).png().toBuffer();
  });
  const base = { model: tiny, prompt: 'a red circle', steps: 3, seed: 7, width: 64, height: 64 };
  const prompts = (scale: number) => ({ imagePrompts: [{ image: { base64: reference.toString('base64') }, scale }], ipAdapter: { path: adapter } });

  it('scale 0 gives the same image as no adapter; a scale changes it and is recorded', async () => {
    const off = await run('jobs.generate', base);
    const zero = await run('jobs.generate', { ...base, ...prompts(0) });
    expect(Buffer.compare(zero.png, off.png)).toBe(0);
    const on = await run('jobs.generate', { ...base, ...prompts(1), ipAdapter: { path: adapter, blocks: 'style+layout' } });
    expect(Buffer.compare(on.png, off.png)).not.toBe(0);
    expect(on.parameters).toMatch(/IP-Adapter: ip-adapter_tiny, IP-Adapter scales: 1, IP-Adapter blocks: style\+layout/);
    expect(on.recipe?.request).toMatchObject({ imagePrompts: [{ scale: 1 }], ipAdapter: { path: adapter, blocks: 'style+layout' } });
  });

  it('image prompts without an adapter, or in a prompt-to-prompt edit, are refused with a reason', async () => {
    const env = await dispatch(handlers, 'jobs.generate', { ...base, imagePrompts: prompts(1).imagePrompts });
    expect(env.ok).toBe(true);
    const s = await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
    expect(s.error?.message).toMatch(/need an IP-Adapter file/);
    const e = await dispatch(handlers, 'jobs.edit', { model: tiny, sourcePrompt: 'a red circle', targetPrompt: 'a blue circle', seed: 1, steps: 2, width: 64, height: 64, ...prompts(1) });
    const se = await studio.queue.waitFor((e as { result: { jobId: string } }).result.jobId);
    expect(se.error?.message).toMatch(/cannot be combined with prompt-to-prompt/);
  });

  it('inpaint with the plus adapter and token merging: the image prompt acts only inside the mask', async () => {
    const photo = await sharp(sharedPath('images', 'vermeer.jpg')).resize(64, 64, { fit: 'fill' }).png().toBuffer();
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 24, height: 24, channels: 3, background: '#fff' } }).png().toBuffer(), left: 24, top: 16 }])
      .png().toBuffer();
    const req = {
      model: tiny, prompt: 'a red circle', steps: 3, seed: 5, image: { base64: photo.toString('base64') }, mask: { base64: mask.toString('base64') },
      maskFeather: 0, tokenMerging: { ratio: 0.5 },
    };
    const plain = await run('jobs.inpaint', req);
    const withImage = await run('jobs.inpaint', { ...req, imagePrompts: [{ image: { base64: reference.toString('base64') }, scale: 1 }], ipAdapter: { path: plusAdapter } });
    const [a, b, o] = await Promise.all([plain.png, withImage.png, photo].map((x) => sharp(x).removeAlpha().raw().toBuffer()));
    let outside = 0, inside = 0;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) for (let c = 0; c < 3; c++) {
      const i = (y * 64 + x) * 3 + c;
      if (x >= 24 && x < 48 && y >= 16 && y < 40) inside += Math.abs(a[i] - b[i]);
      else outside += Math.abs(b[i] - o[i]);
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0);
  });
});
