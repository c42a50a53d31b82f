import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { OPERATION_NAMES, channelOf } from '../../engine/api/operations.ts';
import { readEmbeddedRecipe } from '../../engine/export/readRecipe.ts';
import { PACKAGE_ROOT } from '../../engine/paths.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { SHELL_CHANNELS } from '../../electron/channels.ts';
import { defaultModelDir } from '../support/defaultModel.ts';
import { buildElectronBundles, runMainBundle } from './bundle/runMainBundle.ts';

/**
 * The built Electron main bundle, loaded in plain Node with a stand-in `electron` module
 * (test/electron/bundle/fake-electron.mjs) and driven through the IPC handlers it registers.
 * This is what failed when esbuild inlined CommonJS packages into the ESM bundle, and when
 * the bundled engine looked for models beside electron/dist.
 */
const toyDir = defaultModelDir();
const hasToy = toyDir !== null && toyDir.startsWith(join(PACKAGE_ROOT, 'models'));
if (!hasToy) console.warn('[skip] the main-bundle test needs the bundled toy model in models/toy-shapes.');

let steps: Map<string, unknown>;
let work: string;

describe.skipIf(!hasToy)('Electron main bundle in Node', () => {
  beforeAll(() => {
    buildElectronBundles();
    ({ steps, work } = runMainBundle(join(PACKAGE_ROOT, 'electron', 'dist', 'main.js')));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads, waits for app ready, then opens one sandboxed window on the built UI with the preload beside it', () => {
    expect(steps.get('windows before ready')).toBe(0);
    expect(steps.get('window')).toMatchObject({
      loaded: join(PACKAGE_ROOT, 'renderer', 'dist', 'index.html'),
      preload: join(PACKAGE_ROOT, 'electron', 'dist', 'preload.cjs'),
      preloadExists: true,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(steps.get('menu')).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Help']));
  });

  it('runs the built preload against it: the page gets the studio bridge, and menu commands reach the page', () => {
    expect(steps.get('bridge')).toEqual(['images', 'jobs', 'models', 'onJobEvent', 'onMenuCommand', 'settings', 'shell']);
    expect(steps.get('menu commands')).toEqual(['file.export']);
  });

  it('registers every Studio API operation and the shell channels', () => {
    const expected = [...OPERATION_NAMES.map(channelOf), SHELL_CHANNELS.pickFolder, SHELL_CHANNELS.openImage].sort();
    expect(steps.get('channels')).toEqual({ handle: expected, on: [SHELL_CHANNELS.startDrag] });
  });

  it('lists the bundled models from the package’s models folder through the bridge, the toy model loadable', () => {
    const list = steps.get('models.list') as { ok: true; result: { dir: string; models: { path: string; error: unknown }[] } };
    expect(list.ok).toBe(true);
    expect(list.result.dir).toBe(join(PACKAGE_ROOT, 'models'));
    const toy = list.result.models.find((m) => m.path === join(toyDir!, 'toy-shapes.safetensors'));
    expect(toy?.error).toBeNull();
  });

  it('generates on the toy model and exports the same image the engine makes from source, with its recipe', async () => {
    expect(steps.get('job events')).toEqual(['queued', 'started', 'progress', 'progress', 'progress', 'progress', 'done']);
    const exported = steps.get('images.export') as { ok: true; result: { path: string } };
    expect(exported).toMatchObject({ ok: true, result: { path: join(work, 'generated.png') } });
    const recipe = await readEmbeddedRecipe(exported.result.path);
    expect(recipe.recipe).toMatchObject({ operation: 'jobs.generate', request: { prompt: 'a red circle on a blue background', seed: 7, steps: 4 } });

    // The same request through the engine run from source, in this process.
    const studio = createStudio({ settings: new SettingsStore(join(work, 'settings.json')) });
    const request = { model: join(toyDir!, 'toy-shapes.safetensors'), prompt: 'a red circle on a blue background', steps: 4, seed: 7, width: 64, height: 64 };
    const submitted = await dispatch(createHandlers(studio), 'jobs.generate', request);
    expect(submitted.ok).toBe(true);
    const job = await studio.queue.waitFor((submitted as { result: { jobId: string } }).result.jobId);
    const fromSource = studio.results.get(job.images[0].imageId).png;
    const [a, b] = await Promise.all([exported.result.path, fromSource].map((x) => sharp(x).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
    expect(a.info).toMatchObject({ width: 64, height: 64 });
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(2);
    // Not a blank frame: the toy model draws an object on a background.
    const stats = await sharp(exported.result.path).stats();
    expect(Math.max(...stats.channels.map((c) => c.stdev))).toBeGreaterThan(10);
  });

  it('answers only the app’s own page in the top frame', () => {
    const refused = { ok: false, error: { code: 'UNAUTHORIZED' } };
    for (const name of ['models.list from a foreign page', 'models.list from another file', 'models.list from a subframe', 'models.list without a frame', 'images.export from a foreign page']) {
      expect(steps.get(name), name).toMatchObject(refused);
    }
    expect(existsSync(join(work, 'evil.png'))).toBe(false);
    expect(steps.get('pick folder')).toBe('/models/here');
    expect(steps.get('pick folder from a foreign page')).toMatch(/^refused: .*not the studio/);
    expect(steps.get('drags from a foreign page')).toBe(0);
  });

  it('loads only files inside the built UI', () => {
    const requests = steps.get('requests') as Record<string, string>;
    const allowed = Object.entries(requests).filter(([, v]) => v === 'allowed').map(([k]) => k);
    expect(allowed.sort()).toEqual([`file://${join(PACKAGE_ROOT, 'renderer', 'dist', 'assets', 'x.js')}`, `file://${join(PACKAGE_ROOT, 'renderer', 'dist', 'index.html')}`].sort());
  });

  it('drags out through a private per-launch folder that is removed at quit', () => {
    const drag = steps.get('drag') as { file: string; mode: number; dirMode: number };
    expect(dirname(drag.file)).not.toBe(join(tmpdir(), 'latent-studio-drag'));
    expect(dirname(drag.file)).toMatch(/latent-studio-drag-\w{6}$/);
    expect(drag.dirMode).toBe(0o700);
    expect(drag.mode).toBe(0o600);
    expect(steps.get('drag file after quit')).toBe(false);
    expect(steps.get('quit on last window')).toBe(process.platform !== 'darwin');
  });
});
