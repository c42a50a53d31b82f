import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { replaceExif } from '../../engine/export/exifComment.ts';
import { readEmbeddedRecipeFromBytes } from '../../engine/export/readRecipe.ts';
import { addPngText } from '../../engine/export/pngText.ts';
import { RECIPE_KEY } from '../../engine/export/exportImage.ts';

const pixels = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });

/** An encoded JPEG or WebP whose EXIF block is `tiff`, whatever that holds. */
async function withExif(format: 'jpeg' | 'webp', tiff: Buffer): Promise<Buffer> {
  const base = pixels().withExif({ IFD0: { Software: 'x' } });
  const encoded = format === 'jpeg' ? await base.jpeg().toBuffer() : await base.webp().toBuffer();
  return replaceExif(encoded, format, tiff);
}

describe('images whose metadata is garbage have no recipe (not a failure)', () => {
  const garbage: Array<[string, Buffer]> = [
    ['random bytes', Buffer.from('this is not a TIFF header at all, just text')],
    ['a TIFF header pointing past the end', Buffer.from([0x4d, 0x4d, 0, 42, 0xff, 0xff, 0xff, 0xf0])],
    ['an IFD that claims 65535 entries', Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0xff, 0xff, 1, 2, 3])],
  ];
  for (const format of ['jpeg', 'webp'] as const) {
    it.each(garbage)(`${format} with %s`, async (_name, tiff) => {
      const bytes = await withExif(format, tiff);
      expect((await sharp(bytes).metadata()).format).toBe(format);
      await expect(readEmbeddedRecipeFromBytes(bytes)).resolves.toEqual({ parameters: null, recipe: null });
    });
  }

  it('a UserComment of odd length (half a UTF-16 character) still reads', async () => {
    const { userCommentTiff } = await import('../../engine/export/exifComment.ts');
    const tiff = userCommentTiff('ab');
    // Shorten the comment's declared count by one byte, leaving "UNICODE\0" + 3 bytes.
    tiff.writeUInt32BE(tiff.readUInt32BE(26 + 2 + 4) - 1, 26 + 2 + 4);
    const r = await readEmbeddedRecipeFromBytes(await withExif('jpeg', tiff.subarray(0, tiff.length - 1)));
    expect(r.parameters).toBe('a');
  });

  it('a PNG recipe chunk that is not JSON is no recipe, its parameters still read', async () => {
    const png = addPngText(await pixels().png().toBuffer(), { parameters: 'a cat', [RECIPE_KEY]: '{not json' });
    await expect(readEmbeddedRecipeFromBytes(png)).resolves.toEqual({ parameters: 'a cat', recipe: null });
  });
});
