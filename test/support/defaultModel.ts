import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODELS_DIR } from '../../engine/paths.ts';
import { sharedPath } from './shared.ts';

/**
 * The folder end-to-end tests run on: the bundled toy model when it is present, else the
 * small reference checkpoint in ../shared. Null (tests skip) when neither exists.
 */
export function defaultModelDir(): string | null {
  if (existsSync(join(BUNDLED_MODELS_DIR, 'toy-shapes', 'toy-shapes.safetensors'))) return join(BUNDLED_MODELS_DIR, 'toy-shapes');
  const tiny = sharedPath('golden', 'sd15-tiny');
  if (existsSync(tiny)) return tiny;
  console.warn('[skip] neither models/toy-shapes nor ../shared/golden/sd15-tiny is present.');
  return null;
}
