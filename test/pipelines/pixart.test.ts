import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { readEmbeddedRecipeFromBytes } from '../../engine/export/readRecipe.ts';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { guidedModel } from '../../engine/pipelines/guidance.ts';
import { loadBundle } from '../../engine/pipelines/modelBundle.ts';
import { sample } from '../../engine/schedulers/sample.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR } from '../support/shared.ts';
import { pixartTiny, sd15Tiny, writeTinyPixArtFolder } from './pixartFolder.ts';

const dir = mkdtempSync(join(tmpdir(), 'ls-pixart-'));
const models = join(dir, 'models');
const folder = join(models, 'pixart-tiny');
const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir, SHARED_DIR) });
const handlers = createHandlers(studio);

async function run(op: 'jobs.generate' | 'jobs.img2img' | 'jobs.inpaint', req: Record<string, unknown>) {
  const env = await dispatch(handlers, op, req);
  if (!env.ok) throw new Error(env.error.message);
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  expect(s.state, JSON.stringify(s.error)).toBe('done');
  const stored = studio.results.get(s.images[0].imageId);
  return { stored, ...(await sharp(stored.png).raw().toBuffer({ resolveWithObject: true })) };
}

async function failure(op: 'jobs.edit' | 'jobs.attention' | 'jobs.generate', req: Record<string, unknown>) {
  const env = await dispatch(handlers, op, req);
  if (!env.ok) return env.error;
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  expect(s.state).toBe('failed');
  return s.error!;
}

describe.skipIf(!hasShared('golden', 'pixart-tiny') || !hasShared('golden', 'sd15-tiny'))('PixArt pipelines (tiny α folder: transformer, T5, 4-channel VAE)', () => {
  beforeAll(async () => {
    await writeTinyPixArtFolder(folder);
    await studio.settings.set({ modelsDir: models, previewEvery: 1 });
  });

  it('models lists the folder as a PixArt DiT with its aspect-ratio sizes', async () => {
    const env = await dispatch(handlers, 'models.list', {});
    if (!env.ok) throw new Error(env.error.message);
    const entry = (env.result as { models: Array<{ path: string; error: unknown; architecture: { family: string; summary: string; details: Record<string, unknown> } | null }> }).models.find((m) => m.path === folder)!;
    expect(entry.error).toBeNull();
    expect(entry.architecture!.family).toBe('pixart');
    expect(entry.architecture!.summary).toMatch(/PixArt-α DiT 2 blocks × 64 \(patch 2\), T5 2 layers × 32/);
    const details = entry.architecture!.details;
    expect(details.nativeSize).toBe(128);
    expect(details.guidanceScale).toBe(4.5);
    expect(details.schedule).toMatchObject({ betaSchedule: 'linear', linearStart: 1e-4, linearEnd: 0.02 });
    const sizes = details.sizes as Array<{ width: number; height: number }>;
    expect(sizes).toContainEqual({ width: 128, height: 128 });
    expect(sizes.some((s) => s.width > s.height) && sizes.some((s) => s.width < s.height)).toBe(true);
    for (const s of sizes) expect([s.width % 16, s.height % 16]).toEqual([0, 0]);
  });

  it('the sampling loop through the bundle (T5 conditioner, guidance, linear schedule) equals the golden DDIM loop', async () => {
    const bundle = await loadBundle(folder, { threads: 1 });
    // The diffusers folder has no learned y_embedding: the negative is T5("") with its own mask, as diffusers does.
    const { cond, uncond } = await bundle.conditioner.encode('A small cactus with a happy face in the Sahara desert.', '');
    expect(Array.from(cond.contextMask!.data).filter((v) => v === 1).length).toBe(21);
    expect(Array.from(uncond.contextMask!.data).filter((v) => v === 1).length).toBe(1);
    const xT = npyToFloat32(await readNpy(pixartTiny('golden', 'ddim', 'x_T.npy')));
    const model = guidedModel(bundle.denoiser, cond, uncond, 4.5, [1, 4, 16, 16]);
    const latent = await sample({ sampler: 'ddim', steps: 4, schedule: bundle.schedule, model, noise: xT });
    const want = npyToFloat32(await readNpy(pixartTiny('golden', 'ddim', 'linear_steps4', 'final_latent.npy')));
    expect(maxAbsDiff(latent, want)).toBeLessThan(1e-2);
  });

  it('generates through the studio with every sampler, reproducibly, with the recipe in the PNG', async () => {
    const base = { model: folder, prompt: 'a photo of a cat', steps: 4, seed: 11 };
    const a = await run('jobs.generate', { ...base, sampler: 'dpmpp-2m' });
    const again = await run('jobs.generate', { ...base, sampler: 'dpmpp-2m' });
    expect([a.info.width, a.info.height]).toEqual([128, 128]);
    expect(a.data.equals(again.data)).toBe(true);
    for (const sampler of ['ddim', 'euler', 'euler-a']) {
      const other = await run('jobs.generate', { ...base, sampler });
      expect(other.data.equals(a.data), sampler).toBe(false);
    }
    const exported = await dispatch(handlers, 'images.encode', { image: { imageId: a.stored.imageId }, format: 'png' });
    if (!exported.ok) throw new Error(exported.error.message);
    const embedded = await readEmbeddedRecipeFromBytes(Buffer.from((exported.result as { base64: string }).base64, 'base64'));
    expect(embedded.parameters).toMatch(/Sampler: DPM\+\+ 2M/);
    expect(embedded.parameters).toMatch(/CFG scale: 4\.5/);
    expect(embedded.parameters).toMatch(/Model: pixart-tiny/);
    expect(embedded.recipe?.request).toMatchObject({ model: folder, prompt: 'a photo of a cat', seed: 11, sampler: 'dpmpp-2m' });
  });

  it('a VAE named in the request decodes (a whole SD checkpoint serves); on an SD model it is refused', async () => {
    const own = await run('jobs.generate', { model: folder, prompt: 'a cat', steps: 2, seed: 4 });
    const named = await run('jobs.generate', { model: folder, prompt: 'a cat', steps: 2, seed: 4, vae: sd15Tiny });
    // The same VAE weights in another file: the same pixels.
    expect(named.data.equals(own.data)).toBe(true);
    const onSd = await failure('jobs.generate', { model: sd15Tiny, prompt: 'a cat', steps: 2, seed: 4, vae: sd15Tiny });
    expect(onSd.code).toBe('INVALID_REQUEST');
    expect(onSd.message).toMatch(/separate VAE/);
  });

  it('an aspect-ratio bucket size gives an image of that size', async () => {
    const out = await run('jobs.generate', { model: folder, prompt: 'a cat', steps: 2, seed: 1, width: 160, height: 96 });
    expect([out.info.width, out.info.height]).toEqual([160, 96]);
  });

  it('img2img and inpaint: outside the mask every pixel is the original', async () => {
    const photo = await testPhoto();
    const original = await sharp(photo).raw().toBuffer();
    const weak = await run('jobs.img2img', { model: folder, prompt: 'a photo of a cat', steps: 8, seed: 3, strength: 0.25, image: { base64: photo.toString('base64') } });
    const strong = await run('jobs.img2img', { model: folder, prompt: 'a photo of a cat', steps: 8, seed: 3, strength: 0.9, image: { base64: photo.toString('base64') } });
    const dist = (b: Buffer) => b.reduce((s, v, i) => s + Math.abs(v - original[i]), 0) / b.length;
    expect(dist(weak.data)).toBeLessThan(dist(strong.data));

    const mask = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 48, height: 32, channels: 3, background: '#fff' } }).png().toBuffer(), left: 32, top: 48 }])
      .png().toBuffer();
    const out = await run('jobs.inpaint', {
      model: folder, prompt: 'a photo of a cat', steps: 6, seed: 5, sampler: 'euler',
      image: { base64: photo.toString('base64') }, mask: { base64: mask.toString('base64') }, maskFeather: 4,
    });
    let outside = 0;
    let inside = 0;
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) for (let c = 0; c < 3; c++) {
      const i = (y * 128 + x) * 3 + c;
      if (out.data[i] === original[i]) continue;
      if (x >= 32 && x < 80 && y >= 48 && y < 80) inside++;
      else outside++;
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(48 * 32 * 3 * 0.5);
  });

  it('reports progress with previews and stops on cancel, as for SD', async () => {
    const env = await dispatch(handlers, 'jobs.generate', { model: folder, prompt: 'a cat', steps: 40, seed: 2, sampler: 'euler' });
    if (!env.ok) throw new Error(env.error.message);
    const jobId = (env.result as { jobId: string }).jobId;
    const previews: string[] = [];
    const off = studio.queue.onEvent((e) => {
      if (e.jobId !== jobId || e.type !== 'progress') return;
      if (e.preview) previews.push(e.preview);
      if (previews.length === 2) void dispatch(handlers, 'jobs.cancel', { jobId });
    });
    const s = await studio.queue.waitFor(jobId);
    off();
    expect(s.state).toBe('cancelled');
    expect(previews.length).toBeGreaterThanOrEqual(2);
  });

  it('Edit, Show attention, image prompts and token merging are refused on the DiT with the reason', async () => {
    const edit = await failure('jobs.edit', { model: folder, sourcePrompt: 'a cat', targetPrompt: 'a dog', seed: 1, steps: 2 });
    expect(edit.code).toBe('INVALID_REQUEST');
    expect(edit.message).toMatch(/Edit \(prompt-to-prompt\) is not available .*PixArt/);
    const attention = await failure('jobs.attention', { model: folder, prompt: 'a cat', seed: 1, steps: 2 });
    expect(attention.code).toBe('INVALID_REQUEST');
    expect(attention.message).toMatch(/attention/i);
    const tome = await failure('jobs.generate', { model: folder, prompt: 'a cat', seed: 1, steps: 2, tokenMerging: { ratio: 0.5 } });
    expect(tome.code).toBe('INVALID_REQUEST');
    expect(tome.message).toMatch(/Token merging/);
  });
});

/** A 128×128 image with structure (gradients and a disc), made here so the test needs no photo. */
function testPhoto(): Promise<Buffer> {
  const px = Buffer.alloc(128 * 128 * 3);
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
    const i = (y * 128 + x) * 3;
    const disc = (x - 64) ** 2 + (y - 60) ** 2 < 30 ** 2;
    px[i] = disc ? 220 : x * 2;
    px[i + 1] = disc ? 40 : y * 2;
    px[i + 2] = 90;
  }
  return sharp(px, { raw: { width: 128, height: 128, channels: 3 } }).png().toBuffer();
}
