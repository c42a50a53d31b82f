import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { lastStylizeMemory } from '../../engine/pipelines/stylize.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { allowFolders } from '../support/allowFolders.ts';
import { hasShared, SHARED_DIR, sharedPath } from '../support/shared.ts';

const tiny = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'ls-stylize-'));
const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')), paths: allowFolders(dir, SHARED_DIR) });
const handlers = createHandlers(studio);

async function run(req: Record<string, unknown>) {
  const env = await dispatch(handlers, 'jobs.stylize', req);
  if (!env.ok) throw new Error(env.error.message);
  const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
  if (s.state !== 'done') throw new Error(JSON.stringify(s.error));
  return studio.results.get(s.images[0].imageId);
}

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('stylize (StyleID) on sd15-tiny', () => {
  const b64 = (b: Buffer) => ({ base64: b.toString('base64') });
  const images = async () => {
    const content = await sharp(sharedPath('images', 'vermeer.jpg')).resize(80, 64, { fit: 'fill' }).png().toBuffer();
    // A striped style image of another size and aspect: it is center-cropped to the content's.
    const stripes = Buffer.alloc(80 * 80 * 3);
    for (let y = 0; y < 80; y++) for (let x = 0; x < 80; x++) stripes.set(((x >> 3) & 1) ? [30, 60, 200] : [240, 200, 20], (y * 80 + x) * 3);
    const style = await sharp(stripes, { raw: { width: 80, height: 80, channels: 3 } }).png().toBuffer();
    return { content, style };
  };

  it('stylises with the paper defaults, records the settings, and reports the memory kept', async () => {
    const { content, style } = await images();
    const img = await run({ model: tiny, content: b64(content), style: b64(style), steps: 4 });
    expect([img.width, img.height]).toEqual([80, 64]);
    expect(img.parameters).toMatch(/StyleID gamma: 0.75, StyleID temperature: 1.5, StyleID layers: 6 7 8 9 10 11/);
    expect(img.recipe).toMatchObject({ operation: 'jobs.stylize', request: { gamma: 0.75, temperature: 1.5, steps: 4, adain: true } });
    const m = lastStylizeMemory()!;
    expect(m.cachedLatentsBytes).toBe(2 * 5 * 4 * 10 * 8 * 4);
    expect(m.featureCacheBytes).toBeGreaterThan(m.cachedLatentsBytes);
  });

  it('a mask keeps every pixel outside it', async () => {
    const { content, style } = await images();
    const mask = await sharp({ create: { width: 80, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 24, height: 16, channels: 3, background: '#fff' } }).png().toBuffer(), left: 16, top: 16 }])
      .png().toBuffer();
    const img = await run({ model: tiny, content: b64(content), style: b64(style), steps: 3, mask: b64(mask), maskFeather: 0 });
    const out = await sharp(img.png).raw().toBuffer();
    const orig = await sharp(content).removeAlpha().raw().toBuffer();
    let outsideDiff = 0, insideDiff = 0;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 80; x++) {
      const inside = x >= 16 && x < 40 && y >= 16 && y < 32;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(out[(y * 80 + x) * 3 + c] - orig[(y * 80 + x) * 3 + c]);
        if (inside) insideDiff += d; else outsideDiff += d;
      }
    }
    expect(outsideDiff).toBe(0);
    expect(insideDiff).toBeGreaterThan(0);
  });

  it('refuses layers the network lacks and impossible γ', async () => {
    const { content, style } = await images();
    const bad = await dispatch(handlers, 'jobs.stylize', { model: tiny, content: b64(content), style: b64(style), gamma: 1.5 });
    expect(bad.ok).toBe(false);
    const env = await dispatch(handlers, 'jobs.stylize', { model: tiny, content: b64(content), style: b64(style), layers: [40] });
    const s = await studio.queue.waitFor((env as { result: { jobId: string } }).result.jobId);
    expect(s.error?.message).toMatch(/no decoder self-attention in output block\(s\) 40/);
  });
});
