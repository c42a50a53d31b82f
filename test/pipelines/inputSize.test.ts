import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { planInputSize } from '../../engine/pipelines/size.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';

const sd15 = { factor: 8, nativeSize: 512 };

describe('working size of an input image', () => {
  it('a photo within the model size class keeps its own size (rounded down to 8)', () => {
    expect(planInputSize(500, 300, sd15)).toMatchObject({ width: 496, height: 296 });
    expect(planInputSize(768, 768, sd15)).toMatchObject({ width: 768, height: 768 });
  });

  it('a 4000×3000 photo is scaled down to the model size class, keeping its shape', () => {
    const s = planInputSize(4000, 3000, sd15);
    expect(s.width * s.height).toBeLessThanOrEqual(768 * 768);
    expect(s.width * s.height).toBeGreaterThan(0.9 * 768 * 768);
    expect(s.width / s.height).toBeCloseTo(4 / 3, 1);
    expect([s.width % 8, s.height % 8]).toEqual([0, 0]);
    const toy = planInputSize(4096, 4096, { factor: 8, nativeSize: 64 });
    expect([toy.width, toy.height]).toEqual([96, 96]);
  });

  it('asked sizes win; one side asked, the other follows the photo', () => {
    expect(planInputSize(4000, 3000, sd15, 1024, 1024)).toMatchObject({ width: 1024, height: 1024 });
    expect(planInputSize(4000, 2000, sd15, 512)).toMatchObject({ width: 512, height: 256 });
    expect(planInputSize(4000, 2000, sd15, undefined, 512)).toMatchObject({ width: 1024, height: 512 });
  });

  it('a very thin photo still gives sides of at least 64', () => {
    const s = planInputSize(4096, 64, sd15);
    expect(s.height).toBe(64);
  });
});

describe.skipIf(!existsSync(BUNDLED_DEFAULT_MODEL))('img2img of a 4096² photo on the toy model', () => {
  it('runs at the toy model size class (96²) in seconds, not at 4096²', async () => {
    const studio = createStudio({ settings: new SettingsStore(join(mkdtempSync(join(tmpdir(), 'ls-size-')), 'settings.json')) });
    const photo = await sharp({ create: { width: 4096, height: 4096, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const t0 = Date.now();
    const env = await dispatch(createHandlers(studio), 'jobs.img2img', { model: BUNDLED_DEFAULT_MODEL, prompt: 'a red circle', steps: 2, seed: 1, image: { base64: photo.toString('base64') } });
    if (!env.ok) throw new Error(env.error.message);
    const job = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect([job.images[0].width, job.images[0].height]).toEqual([96, 96]);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 120_000);
});
