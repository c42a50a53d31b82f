import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How the studio's code is laid out on disk right now:
 * - `source`: TypeScript run through tsx (CLI, tests, server) — this file is <root>/engine/paths.ts;
 * - `bundle`: the esbuild bundle <root>/electron/dist/main.js run from a checkout;
 * - `packaged`: an electron-builder app, the bundle inside <resources>/app.asar, and what
 *   native code must read from real files (models, tokenizer) in <resources>/app.asar.unpacked.
 */
export type InstallKind = 'source' | 'bundle' | 'packaged';

export interface InstallLayout {
  kind: InstallKind;
  /** The package root: code, package.json, renderer/dist (inside app.asar when packaged). */
  root: string;
  /** Where files read by onnxruntime or other processes are: the root, or app.asar.unpacked. */
  unpackedRoot: string;
}

const PACKAGE_NAME = 'latent-studio';

function packageNameIn(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name as string | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the package root from the file running this code by walking up to our package.json,
 * so it holds wherever a bundler moves this module (import.meta.url is the bundle's then).
 */
export function locateInstall(moduleFile: string, nameIn: (dir: string) => string | undefined = packageNameIn): InstallLayout {
  let dir = dirname(moduleFile);
  while (nameIn(dir) !== PACKAGE_NAME) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`Latent Studio cannot find its package.json above ${moduleFile}`);
    dir = up;
  }
  const root = dir;
  if (basename(root) === 'app.asar') return { kind: 'packaged', root, unpackedRoot: `${root}.unpacked` };
  const inside = relative(root, moduleFile).split(sep);
  const kind: InstallKind = inside[0] === 'electron' && inside[1] === 'dist' ? 'bundle' : 'source';
  return { kind, root, unpackedRoot: root };
}

export const INSTALL: InstallLayout = locateInstall(fileURLToPath(import.meta.url));

/** The installed package's root (code, package.json). */
export const PACKAGE_ROOT = INSTALL.root;

/** Bundled models ship here; it is also the default models folder. */
export const BUNDLED_MODELS_DIR = join(INSTALL.unpackedRoot, 'models');

/** Bundled data files (the CLIP tokenizer's vocabulary and merges). */
export const BUNDLED_ASSETS_DIR = join(INSTALL.unpackedRoot, 'assets');

/** The built UI that the server serves and the Electron window loads. */
export const RENDERER_DIST_DIR = join(PACKAGE_ROOT, 'renderer', 'dist');

/** The Electron bundles (main.js, preload.cjs). */
export const ELECTRON_DIST_DIR = join(PACKAGE_ROOT, 'electron', 'dist');

/** Per-user state (settings, caches); LATENT_STUDIO_HOME moves it, e.g. for tests. */
export function studioHome(): string {
  return process.env.LATENT_STUDIO_HOME ?? join(homedir(), '.latent-studio');
}
