import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { BUNDLED_MODELS_DIR } from '../paths.ts';

/** The model the studio uses out of the box: the bundled toy-shapes checkpoint. */
export const BUNDLED_DEFAULT_MODEL = join(BUNDLED_MODELS_DIR, 'toy-shapes', 'toy-shapes.safetensors');

export async function defaultModelPath(): Promise<string> {
  if (!existsSync(BUNDLED_DEFAULT_MODEL)) {
    throw new StudioError('NOT_FOUND', `The bundled model ${BUNDLED_DEFAULT_MODEL} is missing; pass --model <checkpoint>`);
  }
  return BUNDLED_DEFAULT_MODEL;
}
