import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exportImage } from '../../engine/export/exportImage.ts';
import type { LoadedImage } from '../../engine/image/loadImage.ts';

const N = 8;

/** Image i is a flat colour with a recipe of a different length, so a mixed file would show. */
async function images(): Promise<LoadedImage[]> {
  return Promise.all(Array.from({ length: N }, async (_, i) => ({
    bytes: await sharp({ create: { width: 16 + i, height: 16, channels: 3, background: { r: i * 30, g: 255 - i * 30, b: 7 } } }).png().toBuffer(),
    width: 16 + i, height: 16,
    parameters: `image ${i} ${'x'.repeat(i * 100)}`,
  })));
}

/** Chunk walk: a valid PNG ends exactly at its IEND chunk (bytes appended after it mean two writers mixed). */
function endsAtIend(png: Buffer): boolean {
  let at = 8;
  while (at + 8 <= png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    at += 12 + len;
    if (type === 'IEND') return at === png.length;
  }
  return false;
}

async function whichImage(file: string): Promise<number> {
  const { data, info } = await sharp(readFileSync(file)).raw().toBuffer({ resolveWithObject: true });
  const i = info.width - 16;
  expect(data[0]).toBe(i * 30);
  return i;
}

describe('parallel exports to one path (issue 23 item 6)', () => {
  it('without overwrite exactly one wins, the others get a typed error, and the file is the winner’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-exp-'));
    const path = join(dir, 'out.png');
    const all = await images();
    const results = await Promise.allSettled(all.map((img) => exportImage(img, path, 'png', { quality: 90, overwrite: false })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'INVALID_REQUEST' });
    const file = readFileSync(path);
    expect(endsAtIend(file)).toBe(true);
    expect(file.length).toBe((won[0] as PromiseFulfilledResult<{ bytes: number }>).value.bytes);
    await whichImage(path);
    expect(readdirSync(dir)).toEqual(['out.png']);
  });

  it('with overwrite every call succeeds and the file is exactly one of the images, never a mix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-exp-'));
    const path = join(dir, 'out.png');
    const all = await images();
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(all.map((img) => exportImage(img, path, 'png', { quality: 90, overwrite: true })));
      const file = readFileSync(path);
      expect(endsAtIend(file)).toBe(true);
      const i = await whichImage(path);
      expect(file.length).toBe(results[i].bytes);
    }
    expect(readdirSync(dir)).toEqual(['out.png']);
  });
});
