import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { loadIpAdapterFile } from '../../engine/controllers/ipAdapter/adapterFile.ts';
import { renderScene } from '../../engine/eval/toyWorld/scene.ts';
import { TOY_ADAPTER_FILE, TOY_PLUS_ADAPTER_FILE } from '../../engine/eval/toyWorld/evaluate.ts';
import { encodePng } from '../../engine/eval/toyWorld/studioRunner.ts';
import { SessionCache } from '../../engine/graph/session.ts';
import { loadImageEncoder } from '../../engine/models/clipVision/encoder.ts';
import { clipPreprocess } from '../../engine/models/clipVision/preprocess.ts';
import { detectModel } from '../../engine/models/detect.ts';
import { unetSites } from '../../engine/models/unet/sites.ts';
import { BUNDLED_MODELS_DIR } from '../../engine/paths.ts';
import { findImageEncoder } from '../../engine/pipelines/imagePrompts.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';

/**
 * The toy world's own image adapter (models/toy-shapes/adapter.py) loads through the engine's
 * ordinary IP-Adapter path: the file is found by name, its encoder by h94's folder layout, and
 * nothing in the engine knows it is a toy. Its metadata holds the Python forward pass of a
 * fixed probe image, which the engine's encoder and projection must reproduce.
 */
const folder = join(BUNDLED_MODELS_DIR, 'toy-shapes');
const model = join(folder, 'toy-shapes.safetensors');
const hasEncoder = existsSync(model) && existsSync(join(folder, 'image_encoder', 'model.safetensors'));
const adapters = [TOY_ADAPTER_FILE, TOY_PLUS_ADAPTER_FILE].map((file) => ({ file, present: hasEncoder && existsSync(join(folder, file)) }));
for (const a of adapters) if (!a.present) console.warn(`[skip] models/toy-shapes has no ${a.file} + image_encoder/ (train them with models/toy-shapes/adapter.py)`);

/** adapter.py's probe: pixel (x, y) = (4x, 4y, 128). */
function probe() {
  const data = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) data.set([4 * x, 4 * y, 128], (y * 64 + x) * 3);
  return { data, width: 64, height: 64 };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(adapters)('the bundled toy image adapter $file', ({ file, present }) => {
  const adapter = join(folder, file);
  const cache = new SessionCache({ intraOpNumThreads: 1 });
  let sites: ReturnType<typeof unetSites>['attention'];
  let contextDim: number;
  beforeAll(async () => {
    if (!present) return;
    const spec = await detectModel(model);
    if (spec.family === 'taesd') throw new Error('expected Stable Diffusion');
    sites = unetSites(spec.unet).attention;
    contextDim = spec.unet.contextDim;
  });

  it.skipIf(!present)('binds every cross-attention site with the reference numbering, and its encoder is found beside it', async () => {
    const file = await loadIpAdapterFile(adapter, sites, contextDim, { cache });
    const plus = file.layout.projection === 'resampler';
    expect(file.layout).toMatchObject({ tokens: plus ? 16 : 4, contextDim });
    const cross = sites.filter((s) => s.kind === 'cross').length;
    expect(cross).toBeGreaterThan(0);
    expect(file.bindings.map((b) => b.key)).toEqual(Array.from({ length: cross }, (_, r) => 2 * r + 1));
    expect(findImageEncoder(adapter)).toBe(join(folder, 'image_encoder'));
    const encoder = await loadImageEncoder(findImageEncoder(adapter), { cache });
    expect(encoder.config.imageSize).toBe(64);
    expect(plus ? encoder.config.hiddenSize : encoder.config.projectionDim).toBe(file.layout.featureDim);
  });

  it.skipIf(!present)('reproduces the Python forward pass of the probe image (encoder and projection)', async () => {
    const meta = (await readSafetensorsHeader(adapter)).metadata;
    const encoder = await loadImageEncoder(findImageEncoder(adapter), { cache });
    const file = await loadIpAdapterFile(adapter, sites, contextDim, { cache });
    const pixels = clipPreprocess(probe(), encoder.config.imageSize);
    // plus reads the penultimate hidden states through the Resampler; the base adapter the pooled embedding.
    const plus = file.layout.projection === 'resampler';
    const features = plus ? await encoder.penultimate(pixels) : await encoder.embeds(pixels);
    const want = JSON.parse(plus ? meta.probe_penultimate : meta.probe_image_embeds) as number[];
    expect(features.dims.reduce((a, b) => a * b)).toBe(want.length);
    const scale = Math.max(...want.map(Math.abs));
    expect(maxDiff(features.data as Float32Array, want) / scale).toBeLessThan(1e-4);
    const { tokens } = await file.run(features);
    expect(maxDiff(tokens.data as Float32Array, JSON.parse(meta.probe_tokens) as number[])).toBeLessThan(1e-3);
  });

  it.skipIf(!present)('an image prompt at scale 0 is exactly no adapter; at scale 1 it changes the image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-toy-ipa-'));
    const studio = createStudio({ settings: new SettingsStore(join(dir, 'settings.json')) });
    const handlers = createHandlers(studio);
    const run = async (req: Record<string, unknown>) => {
      const env = await dispatch(handlers, 'jobs.generate', req);
      if (!env.ok) throw new Error(env.error.message);
      const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
      if (s.state !== 'done') throw new Error(JSON.stringify(s.error));
      return studio.results.get(s.images[0].imageId).png;
    };
    const reference = (await encodePng(renderScene('blue', [{ shape: 'circle', colour: 'yellow', cx: 30, cy: 34, r: 14 }]))).toString('base64');
    const base = { model, prompt: '', steps: 4, seed: 3 };
    const withImage = (scale: number) => ({ ...base, imagePrompts: [{ image: { base64: reference }, scale }], ipAdapter: { path: adapter } });
    const off = await run(base);
    expect(Buffer.compare(await run(withImage(0)), off)).toBe(0);
    expect(Buffer.compare(await run(withImage(1)), off)).not.toBe(0);
  });
});
