import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('jobs.attention', () => {
  const studio = createStudio({ settings: new SettingsStore(join(mkdtempSync(join(tmpdir(), 'ls-attn-')), 'settings.json')), paths: allowFolders(SHARED_DIR) });
  const handlers = createHandlers(studio);

  it('returns the image, then one grey map per prompt word, labelled with the word', async () => {
    const started = await dispatch(handlers, 'jobs.attention', { model: tiny, prompt: 'a photo of a cat', steps: 3, seed: 4, width: 128, height: 96 });
    expect(started.ok).toBe(true);
    const summary = await studio.queue.waitFor((started as { result: { jobId: string } }).result.jobId);
    expect(summary.state).toBe('done');
    expect(summary.images.map((i) => i.label)).toEqual(['image', 'a', 'photo', 'of', 'a', 'cat']);
    const maps = await Promise.all(summary.images.slice(1).map(async (ref) => {
      const { data, info } = await sharp(studio.results.get(ref.imageId).png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([128, 96]);
      return data;
    }));
    // Each map is scaled by its own maximum, and different words attend to different places.
    for (const m of maps) expect(Math.max(...m)).toBe(255);
    expect(maps[1].equals(maps[4])).toBe(false);
  });

  it('with an image, the maps describe that image: the seed does not matter, another image gives other maps', async () => {
    const disc = async (cx: number): Promise<string> => {
      const px = Buffer.alloc(64 * 64 * 3);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
        const i = 3 * (y * 64 + x);
        const inside = (x - cx) ** 2 + (y - 32) ** 2 < 12 ** 2;
        px[i] = inside ? 230 : 30;
        px[i + 1] = 40 + y;
        px[i + 2] = inside ? 40 : 200;
      }
      return (await sharp(px, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()).toString('base64');
    };
    const run = async (base64: string, seed: number) => {
      const started = await dispatch(handlers, 'jobs.attention', { model: tiny, prompt: 'a red disc', steps: 3, seed, resolution: 1, image: { base64 } });
      expect(started.ok).toBe(true);
      const summary = await studio.queue.waitFor((started as { result: { jobId: string } }).result.jobId);
      expect(summary.state).toBe('done');
      expect(summary.images.map((i) => i.label)).toEqual(['image', 'a', 'red', 'disc']);
      expect([summary.images[0].width, summary.images[0].height]).toEqual([64, 64]);
      return Promise.all(summary.images.slice(1).map((ref) => sharp(studio.results.get(ref.imageId).png).extractChannel(0).raw().toBuffer()));
    };
    const left = await disc(20);
    const a = await run(left, 1);
    const b = await run(left, 999);
    const c = await run(await disc(44), 1);
    a.forEach((m, i) => expect(m.equals(b[i]), `map ${i} with another seed`).toBe(true));
    expect(a.some((m, i) => !m.equals(c[i]))).toBe(true);
  });

  it('refuses resolutions the UNet does not have', async () => {
    const r = await dispatch(handlers, 'jobs.attention', { model: tiny, prompt: 'x', resolution: 3 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('INVALID_REQUEST');
  });
});
