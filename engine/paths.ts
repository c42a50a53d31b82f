import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (one level above engine/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundled models ship here; it is also the default models folder. */
export const BUNDLED_MODELS_DIR = join(PACKAGE_ROOT, 'models');

/** Per-user state (settings, caches); LATENT_STUDIO_HOME moves it, e.g. for tests. */
export function studioHome(): string {
  return process.env.LATENT_STUDIO_HOME ?? join(homedir(), '.latent-studio');
}
