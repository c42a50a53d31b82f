import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { readEmbeddedRecipeFromBytes } from '../../engine/export/readRecipe.ts';
import type { Recipe } from '../../engine/studio/results/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const recipe: Recipe = { format: 'latent-studio-recipe', version: 1, operation: 'jobs.generate', request: { prompt: 'a red circle', seed: 7 }, modelHash: null };

describe('images.encode: the export file as bytes, for the browser to download', () => {
  const studio = fakeStudio();
  const handlers = createHandlers(studio);

  it.each(['png', 'jpeg', 'webp'] as const)('%s of a result carries its A1111 parameters (and, in PNG, the recipe)', async (format) => {
    const png = await sharp({ create: { width: 16, height: 8, channels: 3, background: '#c33' } }).png().toBuffer();
    const { imageId } = studio.results.add({ png, width: 16, height: 8, seed: 7, parameters: 'a red circle\nSteps: 2, Seed: 7', recipe });
    const env = await dispatch(handlers, 'images.encode', { image: { imageId }, format, quality: 80 });
    expect(env.ok).toBe(true);
    const r = (env as { result: { mime: string; base64: string; bytes: number } }).result;
    const bytes = Buffer.from(r.base64, 'base64');
    expect(r.mime).toBe(`image/${format}`);
    expect(r.bytes).toBe(bytes.length);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format, 16, 8]);
    const found = await readEmbeddedRecipeFromBytes(bytes, 'the download');
    expect(found.parameters).toContain('a red circle');
    if (format === 'png') expect(found.recipe).toMatchObject({ operation: 'jobs.generate', request: { seed: 7 } });
  });

  it('refuses a path (it never writes on the engine machine)', async () => {
    const env = await dispatch(handlers, 'images.encode', { image: { base64: 'AAAA' }, path: '/tmp/x.png' });
    expect(env.ok).toBe(false);
    expect(!env.ok && env.error.code).toBe('INVALID_REQUEST');
  });
});
