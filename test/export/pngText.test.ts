import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exportImage } from '../../engine/export/exportImage.ts';
import { addPngText, readPngText } from '../../engine/export/pngText.ts';

const recipe = 'a red circle\nNegative prompt: blurry\nSteps: 20, Sampler: DDIM, CFG scale: 7.5, Seed: 1, Size: 64x64';

describe('PNG recipe chunks', () => {
  it('round-trips latin-1 and UTF-8 text and stays a valid PNG', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } }).png().toBuffer();
    const out = addPngText(png, { parameters: recipe, note: 'café ☕' });
    expect(readPngText(out)).toEqual({ parameters: recipe, note: 'café ☕' });
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(8);
    expect([data[0], data[1], data[2]]).toEqual([0, 0, 255]);
  });

  it('exports with the recipe, refuses to overwrite, and leaves no partial file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-export-'));
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } }).png().toBuffer();
    const path = join(dir, 'out.png');
    await exportImage({ bytes: png, width: 8, height: 8, parameters: recipe }, path, 'png', { quality: 90, overwrite: false });
    expect(readPngText(readFileSync(path)).parameters).toBe(recipe);
    writeFileSync(join(dir, 'keep.png'), 'precious');
    await expect(
      exportImage({ bytes: png, width: 8, height: 8 }, join(dir, 'keep.png'), 'png', { quality: 90, overwrite: false }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(readFileSync(join(dir, 'keep.png'), 'utf8')).toBe('precious');
    const jpg = await exportImage({ bytes: png, width: 8, height: 8, parameters: recipe }, join(dir, 'o.jpg'), 'jpeg', { quality: 80, overwrite: false });
    expect((await sharp(jpg.path).metadata()).format).toBe('jpeg');
  });
});
