import { randomUUID } from 'node:crypto';
import { StudioError } from '../../api/errors.ts';
import type { ImageRef } from '../../api/schemas.ts';

export interface StoredImage {
  imageId: string;
  png: Buffer;
  width: number;
  height: number;
  seed?: number;
  /** What the image shows when a job returns several kinds (an attention map's word). */
  label?: string;
  /** The recipe in A1111 `parameters` form, written into exports. */
  parameters?: string;
  /** The exact request that regenerates this image (operation + validated parameters). */
  recipe?: Recipe;
}

/** Written into exports as JSON so an image can be regenerated exactly. */
export interface Recipe {
  format: 'latent-studio-recipe';
  version: 1;
  operation: string;
  request: Record<string, unknown>;
  modelHash: string | null;
  /** LoRA files the result used: name, file, A1111 hash and multiplier. */
  loras?: Array<{ name: string; file: string; hash: string; scale: number }>;
}

/** How many results stay in memory; older ones must be exported to be kept. */
const CAPACITY = 256;

/** Images the engine produced during this launch, addressed by id. */
export class ResultStore {
  private readonly images = new Map<string, StoredImage>();

  add(image: Omit<StoredImage, 'imageId'>): ImageRef {
    const imageId = randomUUID();
    this.images.set(imageId, { ...image, imageId });
    while (this.images.size > CAPACITY) {
      const oldest = this.images.keys().next().value as string;
      this.images.delete(oldest);
    }
    return {
      imageId, width: image.width, height: image.height,
      ...(image.seed !== undefined ? { seed: image.seed } : {}),
      ...(image.label !== undefined ? { label: image.label } : {}),
    };
  }

  get(imageId: string): StoredImage {
    const image = this.images.get(imageId);
    if (!image) throw new StudioError('NOT_FOUND', `No image ${imageId} in this session's results`);
    return image;
  }
}
