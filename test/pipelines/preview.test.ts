import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import type { JobEvent } from '../../engine/api/events.ts';
import { loadBundle } from '../../engine/pipelines/modelBundle.ts';
import { findTaesdDecoder, previewDecoderFor } from '../../engine/pipelines/previewDecoder.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';

const ready = hasShared('golden', 'sd15-tiny') && hasShared('weights', 'taesd');
const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');

/** A models folder holding TAESD decoders of two latent widths, as people keep them. */
function taesdFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ls-taesd-'));
  copyFileSync(sharedPath('weights', 'taesd', 'taef2_decoder.safetensors'), join(dir, 'taesd_f2_decoder.safetensors'));
  copyFileSync(sharedPath('weights', 'taesd', 'taesd_random_decoder.safetensors'), join(dir, 'taesd_decoder.safetensors'));
  return dir;
}

const size = async (url: string) => {
  const meta = await sharp(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64')).metadata();
  return [meta.width, meta.height];
};

describe.skipIf(!ready)('step previews', () => {
  it('finds the TAESD decoder whose latent width matches, and none where there is none', async () => {
    const dir = taesdFolder();
    expect(await findTaesdDecoder([dir], 4)).not.toBeNull();
    expect(await findTaesdDecoder([dir], 32)).not.toBeNull();
    expect(await findTaesdDecoder([dir], 16)).toBeNull();
    expect(await findTaesdDecoder([join(dir, 'missing')], 4)).toBeNull();
  });

  it('TAESD at any size; else the VAE for small latents and a fitted linear map for large ones', async () => {
    const bundle = await loadBundle(tiny);
    const big = [1, 4, 48, 64];
    const latent = new Float32Array(4 * 48 * 64).map((_, i) => Math.sin(i * 0.37));
    const taesd = await previewDecoderFor(bundle, big, taesdFolder());
    expect(taesd.kind).toBe('taesd');
    expect(await size(await taesd.decode(latent, big))).toEqual([512, 384]);
    const linear = await previewDecoderFor(bundle, big);
    expect(linear.kind).toBe('linear');
    expect(await size(await linear.decode(latent, big))).toEqual([256, 192]);
    const small = [1, 4, 8, 8];
    const vae = await previewDecoderFor(bundle, small);
    expect(vae.kind).toBe('vae');
    expect(await size(await vae.decode(latent.subarray(0, 256), small))).toEqual([64, 64]);
  });

  it('a job reports a preview image every few steps', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ls-preview-'));
    const settings = new SettingsStore(join(home, 'settings.json'));
    await settings.set({ previewEvery: 2, modelsDir: taesdFolder() });
    const studio = createStudio({ settings, paths: allowFolders(home, SHARED_DIR) });
    const events: JobEvent[] = [];
    studio.queue.onEvent((e) => events.push(e));
    const started = await dispatch(createHandlers(studio), 'jobs.generate', { model: tiny, prompt: 'a cat', steps: 5, seed: 3, sampler: 'euler', cfg: 1, width: 256, height: 192 });
    const summary = await studio.queue.waitFor((started as { result: { jobId: string } }).result.jobId);
    expect(summary.state).toBe('done');
    const previews = events.flatMap((e) => (e.type === 'progress' && e.preview ? [{ step: e.step, preview: e.preview }] : []));
    expect(previews.map((p) => p.step)).toEqual([2, 4]);
    expect(await size(previews[0].preview)).toEqual([256, 192]);
  });
});
