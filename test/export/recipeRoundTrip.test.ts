import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { exportImage } from '../../engine/export/exportImage.ts';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { formatParameters, parseParameters } from '../../engine/pipelines/parameters.ts';
import type { Recipe } from '../../engine/studio/results/store.ts';
import { captureOutput } from '../support/captureOutput.ts';

const parameters = formatParameters({
  prompt: 'a "red" café ☕ under 富士山, (cat:1.3)',
  negativePrompt: 'blurry',
  steps: 20, sampler: 'euler-a', cfg: 7, seed: 42, width: 64, height: 64,
  model: 'toy, shapes', modelHash: '0123456789',
  extra: { 'Token merging ratio': 0.5 },
});
const recipe: Recipe = { format: 'latent-studio-recipe', version: 1, operation: 'jobs.generate', request: { prompt: 'a "red" café ☕', seed: 42 }, modelHash: '0123456789' };

async function source(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 8, channels: 3, background: '#1060c0' } }).png().toBuffer();
}

describe('exported recipes read back', () => {
  it.each(['jpeg', 'webp'] as const)('%s keeps every character of the A1111 text in EXIF UserComment', async (format) => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-exif-'));
    const { path } = await exportImage({ bytes: await source(), width: 16, height: 8, parameters }, join(dir, `out.${format}`), format, { quality: 90, overwrite: false });
    const meta = await sharp(path).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format, 16, 8]);
    const back = await readEmbeddedRecipe(path);
    expect(back.parameters).toBe(parameters);
    const parsed = parseParameters(back.parameters!);
    expect(parsed).toMatchObject({ prompt: 'a "red" café ☕ under 富士山, (cat:1.3)', seed: 42, sampler: 'euler-a', model: 'toy, shapes', modelHash: '0123456789' });
  });

  it('PNG carries both texts, and `info` prints them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-info-'));
    const { path } = await exportImage({ bytes: await source(), width: 16, height: 8, parameters, recipe }, join(dir, 'out.png'), 'png', { quality: 90, overwrite: false });
    expect(await readEmbeddedRecipe(path)).toEqual({ parameters, recipe });
    const text = await captureOutput(() => main(['node', 'latent-studio', 'info', path]));
    expect(text.code).toBe(0);
    expect(text.out).toContain(parameters);
    const json = await captureOutput(() => main(['node', 'latent-studio', 'info', path, '--json']));
    expect(JSON.parse(json.out)).toMatchObject({ parameters, recipe, parsed: { seed: 42, cfg: 7, extra: { 'Token merging ratio': '0.5' } } });
  });

  it('an image without a recipe is a NOT_FOUND error, a non-image IMAGE_INVALID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-info-'));
    const plain = join(dir, 'plain.png');
    await sharp(await source()).toFile(plain);
    const r = await captureOutput(() => main(['node', 'latent-studio', 'info', plain]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT_FOUND.*carries no recipe/);
    await expect(readEmbeddedRecipe(join(import.meta.dirname, 'recipeRoundTrip.test.ts'))).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });
});
