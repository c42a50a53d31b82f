import { extractAll, getRawHeader } from '@electron/asar';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { PACKAGE_ROOT } from '../../engine/paths.ts';
import { defaultModelDir } from '../support/defaultModel.ts';
import { packApp, type PackedApp } from './bundle/packApp.ts';
import { runMainBundle } from './bundle/runMainBundle.ts';

/**
 * The packaged app's file set, from electron-builder run on package.json's configuration
 * (the `dir` target, with a stand-in for Electron's binary), then the packaged main bundle
 * run from the package itself: what `npm run dist` ships must be enough to start, list the
 * bundled models, generate and export.
 */
const toyDir = defaultModelDir();
const canPack = process.platform === 'linux' && toyDir !== null && toyDir.startsWith(join(PACKAGE_ROOT, 'models'));
if (!canPack) console.warn('[skip] the packaged-app test runs on Linux with the bundled toy model in models/toy-shapes.');

interface AsarNode {
  files?: Record<string, AsarNode>;
  unpacked?: boolean;
}

/** Every file in app.asar with whether it is stored outside the archive (app.asar.unpacked). */
function asarFiles(archive: string): Map<string, { unpacked: boolean }> {
  const out = new Map<string, { unpacked: boolean }>();
  const walk = (node: AsarNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else out.set(path, { unpacked: child.unpacked === true });
    }
  };
  walk(getRawHeader(archive).header as AsarNode, '');
  return out;
}

const natives = {
  linux: { binding: 'onnxruntime_binding.node', runtime: 'libonnxruntime.so.1' },
  darwin: { binding: 'onnxruntime_binding.node', runtime: 'libonnxruntime.1.dylib' },
  win32: { binding: 'onnxruntime_binding.node', runtime: 'onnxruntime.dll' },
}[process.platform as 'linux'];

describe.skipIf(!canPack)('the packaged app', () => {
  let app: PackedApp;
  let files: Map<string, { unpacked: boolean }>;
  let paths: string[];

  beforeAll(() => {
    app = packApp();
    files = asarFiles(join(app.resources, 'app.asar'));
    paths = [...files.keys()];
  }, 300_000);
  afterAll(() => {
    if (app) rmSync(app.work, { recursive: true, force: true });
  });

  it('holds the main entry, the preload, the built UI, the icon and package.json’s main', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { main: string };
    for (const f of [pkg.main, 'electron/dist/main.js', 'electron/dist/preload.cjs', 'renderer/dist/index.html', 'package.json', 'assets/icon.png']) {
      expect(files.has(f), f).toBe(true);
    }
    expect(paths.some((p) => /^renderer\/dist\/assets\/.+\.js$/.test(p))).toBe(true);
  });

  it('keeps onnxruntime’s binding with its shared library, sharp and its libvips, models, tokenizer and icon outside the archive', () => {
    const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}`;
    const mustBeUnpacked = [
      `${ortDir}/${natives.binding}`,
      `${ortDir}/${natives.runtime}`,
      'models/toy-shapes/toy-shapes.safetensors',
      'models/toy-shapes/config.json',
      'models/toy-shapes/vocab.json',
      'models/toy-shapes/merges.txt',
      'assets/clip-tokenizer/vocab.json',
      'assets/clip-tokenizer/merges.txt',
      'assets/icon.png',
    ];
    for (const f of mustBeUnpacked) {
      expect(files.get(f), f).toEqual({ unpacked: true });
      expect(existsSync(join(app.resources, 'app.asar.unpacked', f)), f).toBe(true);
    }
    const sharpNative = paths.filter((p) => /^node_modules\/@img\/sharp-[^/]+\/lib\/.+\.node$/.test(p));
    const libvips = paths.filter((p) => /^node_modules\/@img\/sharp-libvips-[^/]+\/lib\/libvips/.test(p));
    expect(sharpNative.length).toBeGreaterThan(0);
    expect(libvips.length).toBeGreaterThan(0);
    // Nothing a native loader or onnxruntime opens by path may stay inside the archive.
    for (const f of paths.filter((p) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(p) || p.startsWith('models/') || p.startsWith('node_modules/@img/'))) {
      expect(files.get(f), f).toEqual({ unpacked: true });
    }
  });

  it('leaves out training scripts, graph caches, sources, tests, the dev toolchain and other systems’ binaries', () => {
    const unwanted = paths.filter((p) =>
      /\.py$/.test(p) || /\/runs\//.test(p) || /\.onnx/.test(p) || /^(engine|test|bin|docs|renderer\/src)\//.test(p) ||
      /^node_modules\/(tsx|esbuild|@esbuild|react|react-dom|zustand|vite|vitest|electron|electron-builder|typescript)\//.test(p) ||
      (p.startsWith('node_modules/onnxruntime-node/bin/') && !p.includes(`/${process.platform}/${process.arch}/`)),
    );
    expect(unwanted).toEqual([]);
  });

  it('starts from the package, lists the bundled models from app.asar.unpacked, generates, exports, and writes nothing into the install', async () => {
    // The archive extracted into a folder named app.asar next to app.asar.unpacked: the layout
    // the bundle sees inside Electron, with Node resolving packages only from the package's node_modules.
    const resources = join(app.appOutDir, 'extracted-resources');
    mkdirSync(resources);
    extractAll(join(app.resources, 'app.asar'), join(resources, 'app.asar'));
    symlinkSync(join(app.resources, 'app.asar.unpacked'), join(resources, 'app.asar.unpacked'), 'dir');
    const modelsBefore = readdirSync(join(app.resources, 'app.asar.unpacked', 'models', 'toy-shapes')).sort();

    const { steps, work } = runMainBundle(join(resources, 'app.asar', 'electron', 'dist', 'main.js'));
    expect(steps.get('window')).toMatchObject({ loaded: join(resources, 'app.asar', 'renderer', 'dist', 'index.html'), loadedExists: true, preloadExists: true, iconExists: true });
    expect(steps.get('bridge')).toContain('models');
    const list = steps.get('models.list') as { ok: boolean; result: { dir: string } };
    expect(list).toMatchObject({ ok: true, result: { dir: join(resources, 'app.asar.unpacked', 'models') } });
    expect((steps.get('job end') as { type: string }).type).toBe('done');
    const exported = steps.get('images.export') as { ok: boolean; result: { path: string } };
    expect(exported.ok).toBe(true);
    expect((await readEmbeddedRecipe(exported.result.path)).recipe).toMatchObject({ operation: 'jobs.generate' });
    // Graphs of the bundled models went to the user's cache, not beside the checkpoint in the install.
    expect(readdirSync(join(app.resources, 'app.asar.unpacked', 'models', 'toy-shapes')).sort()).toEqual(modelsBefore);
    expect(readdirSync(join(work, 'home', 'cache', 'graphs')).some((f) => f.endsWith('.onnx'))).toBe(true);
    rmSync(work, { recursive: true, force: true });
  });
});
