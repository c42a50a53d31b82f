import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { readPngText } from '../../engine/export/pngText.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const model = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
// A1111's "Model hash" is the first 10 hex digits of the file's SHA-256, which the golden manifest records.
const sha10 = (file: string): string => {
  const manifest = JSON.parse(readFileSync(sharedPath('golden', 'sd15-tiny', 'manifest.json'), 'utf8')) as { checkpoints: Record<string, { sha256: string }> };
  return manifest.checkpoints[file.split('/').pop()!].sha256.slice(0, 10);
};

const capture = captureOutput;

describe('latent-studio CLI', () => {
  it('prints help for each command', async () => {
    for (const cmd of ['models', 'serve', 'generate', 'img2img', 'inpaint', 'debug']) {
      const r = await capture(() => main(['node', 'latent-studio', cmd, '--help']));
      expect(r.out + r.err, cmd).toMatch(/Usage: latent-studio/);
    }
  });

  it('reports bad input as a typed error with a non-zero exit', async () => {
    const r = await capture(() => main(['node', 'latent-studio', 'generate', '--model', '/nonexistent.safetensors', '--prompt', 'x', '--width', '64', '--height', '64', '--out', '/tmp/x.png']));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[NOT_FOUND\]/);
  });

  it.skipIf(!hasShared('golden', 'sd15-tiny'))('generate writes reproducible PNGs with the recipe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-cli-'));
    const args = (out: string, seed: string) => ['node', 'latent-studio', 'generate', '--model', model, '--prompt', 'a photo of a cat', '--negative', 'blurry', '--steps', '4', '--cfg', '5', '--seed', seed, '--width', '64', '--height', '72', '--sampler', 'euler', '--batch', '2', '--out', join(dir, out)];
    const first = await capture(() => main(args('a.png', '11')));
    expect(first.code, first.err).toBe(0);
    const again = await capture(() => main(args('b.png', '11')));
    expect(again.code).toBe(0);
    const other = await capture(() => main(args('c.png', '12')));
    expect(other.code).toBe(0);
    const pixels = async (f: string) => (await sharp(join(dir, f)).raw().toBuffer());
    expect((await pixels('a.png')).equals(await pixels('b.png'))).toBe(true);
    expect((await pixels('a.png')).equals(await pixels('c.png'))).toBe(false);
    // Image 2 of seed 11 is seed 12's first image.
    expect((await pixels('a-1.png')).equals(await pixels('c.png'))).toBe(true);
    const meta = await sharp(join(dir, 'a.png')).metadata();
    expect([meta.width, meta.height]).toEqual([64, 72]);
    const params = readPngText(readFileSync(join(dir, 'a.png'))).parameters;
    expect(params).toBe(`a photo of a cat\nNegative prompt: blurry\nSteps: 4, Sampler: Euler, CFG scale: 5, Seed: 11, Size: 64x72, Model hash: ${sha10(model)}, Model: sd15-tiny.f32`);
    expect(first.out).toContain('a.png');
  });
});
