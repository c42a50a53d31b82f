import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import { MAX_ENCODED_IMAGE_BYTES, MAX_IMAGE_SIDE, type ImageInput } from '../api/schemas.ts';
import type { Recipe, ResultStore } from '../studio/results/store.ts';
import { readRegularFile } from '../studio/pathPolicy.ts';

export interface LoadedImage {
  bytes: Buffer;
  width: number;
  height: number;
  parameters?: string;
  recipe?: Recipe;
}

/** Resolves an ImageInput to encoded bytes, refusing unreadable or oversized images up front. */
export async function loadImageInput(input: ImageInput, results: ResultStore): Promise<LoadedImage> {
  if ('imageId' in input) {
    const img = results.get(input.imageId);
    return { bytes: img.png, width: img.width, height: img.height, parameters: img.parameters, recipe: img.recipe };
  }
  const bytes = 'path' in input ? await readRegularFile(input.path, MAX_ENCODED_IMAGE_BYTES) : Buffer.from(input.base64, 'base64');
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_IMAGE_SIDE * MAX_IMAGE_SIDE * 4 }).metadata();
  } catch (e) {
    throw new StudioError('IMAGE_INVALID', `Cannot read image${'path' in input ? ` ${input.path}` : ''}: ${(e as Error).message}`);
  }
  const { width = 0, height = 0 } = meta;
  if (width < 1 || height < 1) throw new StudioError('IMAGE_INVALID', 'Image has no pixels');
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new StudioError('IMAGE_INVALID', `Image is ${width}×${height}; the largest side accepted is ${MAX_IMAGE_SIDE} pixels`, {
      width,
      height,
    });
  }
  return { bytes, width, height };
}
