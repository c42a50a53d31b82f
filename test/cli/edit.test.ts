import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { captureOutput } from '../support/captureOutput.ts';

const model = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');

const cli = (...args: string[]) => captureOutput(() => main(['node', 'latent-studio', ...args]));

describe('latent-studio edit and attention', () => {
  it('print help and refuse an edit with neither a seed nor an image', async () => {
    for (const cmd of ['edit', 'attention']) expect((await cli(cmd, '--help')).out).toMatch(/Usage: latent-studio/);
    const r = await cli('edit', '--model', model, '--from', 'a cat', '--to', 'a dog', '--out', '/tmp/x.png');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[INVALID_REQUEST\]: Give either --seed/);
  });

  it.skipIf(!hasShared('golden', 'sd15-tiny'))('edit writes the edited PNG with the whole edit recipe, for a seed and for a photo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-cli-edit-'));
    const common = ['--model', model, '--from', 'a photo of a cat', '--steps', '4', '--width', '64', '--height', '64'];
    const seed = await cli('edit', ...common, '--to', 'a photo of a dog', '--seed', '5', '--reweight', 'dog=2', '--local', 'cat', '--local', 'dog', '--cross-steps', '0.6', '--cross-word', 'dog=0.3', '--self-steps', '0.2', '--out', join(dir, 'seed.png'));
    expect(seed.code, seed.err).toBe(0);
    const embedded = await readEmbeddedRecipe(join(dir, 'seed.png'));
    expect(embedded.parameters).toMatch(/^a photo of a dog\n/);
    expect(embedded.parameters).toMatch(/Edit source prompt: a photo of a cat/);
    expect(embedded.parameters).toMatch(/Word weights: "?dog=2"?/);
    expect(embedded.recipe?.operation).toBe('jobs.edit');
    expect(embedded.recipe?.request).toMatchObject({
      sourcePrompt: 'a photo of a cat', targetPrompt: 'a photo of a dog', seed: 5, wordWeights: { dog: 2 },
      localBlendWords: ['cat', 'dog'], crossReplaceSteps: 0.6, crossReplaceWords: { dog: 0.3 }, selfReplaceSteps: 0.2,
    });

    const photo = join(dir, 'photo.png');
    await sharp(sharedPath('images', 'vermeer.jpg')).resize(64, 64).png().toFile(photo);
    const mask = join(dir, 'mask.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } }).png().toFile(mask);
    const edited = await cli('edit', ...common, '--to', 'a photo of a (cat:0.5)', '--image', photo, '--mask', mask, '--out', join(dir, 'photo-edit.png'));
    expect(edited.code, edited.err).toBe(0);
    expect((await readEmbeddedRecipe(join(dir, 'photo-edit.png'))).parameters).toMatch(/Edit inversion: DDIM \+ direct inversion/);
  }, 120_000);

  it.skipIf(!hasShared('golden', 'sd15-tiny'))('attention writes the image and one map per word', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ls-cli-maps-')), 'maps');
    const r = await cli('attention', '--model', model, '--prompt', 'a red ball on grass', '--seed', '3', '--steps', '3', '--width', '64', '--height', '64', '--out-dir', dir);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['00-a.png', '01-red.png', '02-ball.png', '03-on.png', '04-grass.png', 'image.png']);
    const meta = await sharp(join(dir, '01-red.png')).metadata();
    expect([meta.width, meta.height]).toEqual([64, 64]);
    expect(existsSync(join(dir, 'image.png'))).toBe(true);
  }, 60_000);
});
