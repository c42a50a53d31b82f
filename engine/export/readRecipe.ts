import { readFile } from 'node:fs/promises';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import type { Recipe } from '../studio/results/store.ts';
import { RECIPE_KEY } from './exportImage.ts';
import { readPngText } from './pngText.ts';

export interface EmbeddedRecipe {
  /** A1111 `parameters` text, when present. */
  parameters: string | null;
  /** Our exact JSON recipe, when present (PNG exports). */
  recipe: Recipe | null;
}

/** EXIF UserComment starts with an 8-byte character-code prefix (ASCII, UNICODE, JIS or none). */
function decodeUserComment(raw: Buffer): string {
  const code = raw.subarray(0, 8).toString('latin1').replace(/\0+$/, '');
  const body = raw.subarray(8);
  if (code === 'UNICODE') {
    // Big-endian UTF-16 unless the data says otherwise; A1111 writes it so via piexif.
    const le = body.length > 1 && body[0] !== 0 && body[1] === 0;
    // An odd trailing byte is half a character: dropped, as swap16 needs whole pairs.
    const even = body.subarray(0, body.length & ~1);
    return le ? even.toString('utf16le') : Buffer.from(even).swap16().toString('utf16le');
  }
  return body.toString('utf8').replace(/\0+$/, '');
}

/** The recipe written into an exported PNG, JPEG or WebP (ours or AUTOMATIC1111's). */
export async function readEmbeddedRecipe(path: string): Promise<EmbeddedRecipe> {
  return readEmbeddedRecipeFromBytes(await readFile(path), path);
}

/** Same, from the encoded bytes (an image pasted or dropped into the studio has no path). */
export async function readEmbeddedRecipeFromBytes(bytes: Buffer, name = 'image'): Promise<EmbeddedRecipe> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes).metadata();
  } catch (e) {
    throw new StudioError('IMAGE_INVALID', `Cannot read ${name}: ${(e as Error).message}`);
  }
  if (meta.format === 'png') {
    const text = readPngText(bytes);
    let recipe: Recipe | null = null;
    if (text[RECIPE_KEY]) {
      try {
        recipe = JSON.parse(text[RECIPE_KEY]) as Recipe;
      } catch {
        recipe = null;
      }
    }
    return { parameters: text.parameters ?? null, recipe };
  }
  const comment = meta.exif ? userComment(meta.exif) : null;
  return { parameters: comment, recipe: null };
}

/** The EXIF UserComment text, or null when there is none — or the EXIF block is not readable EXIF, which holds no recipe either. */
function userComment(exif: Buffer): string | null {
  let raw: unknown;
  try {
    raw = exifReader(exif).Photo?.UserComment;
  } catch {
    return null;
  }
  return raw instanceof Uint8Array && raw.length > 0 ? decodeUserComment(Buffer.from(raw)) : null;
}
