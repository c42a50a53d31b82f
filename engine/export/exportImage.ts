import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import { writeBytesAtomically } from '../safetensors/atomicWrite.ts';
import { addPngText } from './pngText.ts';
import { replaceExif, userCommentTiff } from './exifComment.ts';
import type { LoadedImage } from '../image/loadImage.ts';

export type ExportFormat = 'png' | 'jpeg' | 'webp';

/** iTXt keyword of the full JSON recipe in PNG exports. */
export const RECIPE_KEY = 'latent-studio-recipe';

/**
 * Encodes an image with its recipe. PNG keeps the A1111 text in the `parameters` chunk and
 * the exact request as JSON in an iTXt chunk; JPEG and WebP keep the A1111 text in the EXIF
 * UserComment, as AUTOMATIC1111 does.
 */
export async function encodeExport(image: LoadedImage, format: ExportFormat, quality: number): Promise<Buffer> {
  const pipeline = sharp(image.bytes);
  if (format === 'png') {
    const encoded = await pipeline.png().toBuffer();
    const text: Record<string, string> = {};
    if (image.parameters) text.parameters = image.parameters;
    if (image.recipe) text[RECIPE_KEY] = JSON.stringify(image.recipe);
    return Object.keys(text).length ? addPngText(encoded, text, { international: [RECIPE_KEY] }) : encoded;
  }
  const withMeta = image.parameters ? pipeline.withExif({ IFD2: { UserComment: image.parameters } }) : pipeline;
  const encoded = format === 'jpeg' ? await withMeta.jpeg({ quality }).toBuffer() : await withMeta.webp({ quality }).toBuffer();
  return image.parameters ? replaceExif(encoded, format, userCommentTiff(image.parameters)) : encoded;
}

/**
 * Encodes (see encodeExport) and writes an image with its recipe. The file is written
 * atomically (unique temporary name, fsync, rename), so a full disk or a crash never leaves a
 * truncated export, and of parallel exports to one path without `overwrite` exactly one wins.
 */
export async function exportImage(
  image: LoadedImage,
  path: string,
  format: ExportFormat,
  options: { quality: number; overwrite: boolean },
): Promise<{ path: string; bytes: number }> {
  if (!options.overwrite) {
    const exists = await access(path, constants.F_OK).then(() => true, () => false);
    if (exists) throw new StudioError('INVALID_REQUEST', `${path} exists; pass overwrite to replace it`);
  }
  const encoded = await encodeExport(image, format, options.quality);
  await mkdir(dirname(path), { recursive: true });
  await writeBytesAtomically(path, encoded, { exclusive: !options.overwrite });
  return { path, bytes: encoded.length };
}
