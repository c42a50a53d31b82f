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

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('token merging from the CLI (sd15-tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ls-tome-'));
  const generate = (out: string, ...extra: string[]) => captureOutput(() => main([
    'node', 'latent-studio', 'generate', '--model', model, '--prompt', 'a red circle', '--steps', '3', '--cfg', '5', '--seed', '4',
    '--width', '64', '--height', '64', '--out', join(dir, out), ...extra,
  ]));
  const pixels = async (f: string) => sharp(join(dir, f)).raw().toBuffer();

  it('--tome 0 is merging off; --tome 0.5 merges, is reproducible and is recorded in parameters', async () => {
    for (const [out, extra] of [['off.png', []], ['zero.png', ['--tome', '0']], ['half.png', ['--tome', '0.5', '--tome-seed', '3']], ['half2.png', ['--tome', '0.5', '--tome-seed', '3']]] as const) {
      const r = await generate(out, ...extra);
      expect(r.code, r.err).toBe(0);
    }
    expect((await pixels('zero.png')).equals(await pixels('off.png'))).toBe(true);
    expect((await pixels('half.png')).equals(await pixels('half2.png'))).toBe(true);
    expect((await pixels('half.png')).equals(await pixels('off.png'))).toBe(false);
    expect(readPngText(readFileSync(join(dir, 'half.png'))).parameters).toMatch(/, Token merging ratio: 0\.5(,|$)/);
    expect(readPngText(readFileSync(join(dir, 'off.png'))).parameters).not.toMatch(/Token merging/);
  });

  it('inpaint with --tome-exclude-masked and img2img with --tome run and record the ratio', async () => {
    const image = join(dir, 'in.png');
    const mask = join(dir, 'mask.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3a6' } }).png().toFile(image);
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 24, height: 24, channels: 3, background: '#fff' } }).png().toBuffer(), left: 16, top: 16 }])
      .png().toFile(mask);
    const common = ['--model', model, '--prompt', 'a red circle', '--steps', '2', '--seed', '1', '--image', image];
    const inpaint = await captureOutput(() => main(['node', 'latent-studio', 'inpaint', ...common, '--mask', mask, '--tome', '0.5', '--tome-exclude-masked', '--out', join(dir, 'inpaint.png')]));
    expect(inpaint.code, inpaint.err).toBe(0);
    const img2img = await captureOutput(() => main(['node', 'latent-studio', 'img2img', ...common, '--tome', '0.3', '--tome-no-rand', '--tome-merge', 'attn1,ff', '--out', join(dir, 'img2img.png')]));
    expect(img2img.code, img2img.err).toBe(0);
    expect(readPngText(readFileSync(join(dir, 'inpaint.png'))).parameters).toMatch(/Token merging ratio: 0\.5/);
    expect(readPngText(readFileSync(join(dir, 'img2img.png'))).parameters).toMatch(/Token merging ratio: 0\.3/);
  });

  it('refuses impossible settings with a typed error', async () => {
    const r = await generate('bad.png', '--tome', '0.7', '--tome-sx', '1', '--tome-sy', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[INVALID_REQUEST\].*Token merging/);
  });
});
