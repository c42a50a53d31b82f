import sharp from 'sharp';
import type { ImageInput, ImageRef } from '../api/schemas.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { adain, defaultStyleLayers, styleInjection, styleInjectionMemory } from '../controllers/styleInjection/index.ts';
import { loadImageInput } from '../image/loadImage.ts';
import { readRgb, rgbToTensor, tensorToRgb } from '../image/tensor.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import { prediction } from '../denoiser/denoiser.ts';
import type { ResultStore } from '../studio/results/store.ts';
import { ddimStep, ddimTables, epsFromV } from '../schedulers/ddim.ts';
import { invertDdim } from '../schedulers/inversion.ts';
import type { StudioContext, StylizeParams } from '../studio/context.ts';
import { imageSizing } from './size.ts';
import { encodeLatent, prepareImage, type PreparedImage } from './inputImage.ts';
import { loadMask, pasteBack } from './mask.ts';
import { loadBundle, runtimeFromSettings } from './modelBundle.ts';
import { formatParameters } from './parameters.ts';

/** The style image at the content's working size: center-cropped to its aspect ratio, Lanczos, as the reference's `load_img` crops to a square. */
async function prepareStyle(input: ImageInput, results: ResultStore, width: number, height: number): Promise<PreparedImage['tensor']> {
  const loaded = await loadImageInput(input, results);
  const rgb = await readRgb(sharp(loaded.bytes).resize(width, height, { kernel: 'lanczos3', fit: 'cover', position: 'centre' }));
  return rgbToTensor(rgb, 'minus1to1');
}

/** What the last stylisation kept in memory (for the report and the CLI). */
export interface StylizeMemoryReport {
  /** Bytes of the two cached inversion trajectories this engine keeps. */
  cachedLatentsBytes: number;
  /** Bytes the reference's per-step Q/K/V feature cache would take for the same run. */
  featureCacheBytes: number;
}
let lastMemory: StylizeMemoryReport | undefined;
export const lastStylizeMemory = (): StylizeMemoryReport | undefined => lastMemory;

/**
 * StyleID (Chung et al., ALGORITHMS §4): DDIM-invert content and style with the empty prompt,
 * start from the AdaIN of the two inverted latents, and sample with guidance 1 on the batch
 * [content, style, stylised] — rows 0 and 1 replay the cached inversion latents at each
 * timestep, so their self-attention features are exactly those the reference caches, and the
 * style-injection controller hands them to row 2. Only 2·(steps + 1) latents are kept
 * (ALGORITHMS §4.4), at the price of a 3-row UNet call per step.
 *
 * Differences from the reference, on purpose: sampling starts at the last inverted timestep
 * (the reference feeds the t = 999 latent to its t = 961 step, skipping one); the optional
 * mask resets the latent outside it to the content's trajectory every step and pastes the
 * original pixels back, like inpainting.
 */
export async function stylize(params: StylizeParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  const settings = await studio.settings.get();
  const bundle = await loadBundle(params.model, runtimeFromSettings(settings));
  const content = await prepareImage(params.content, studio.results, imageSizing(bundle.spec), params.width, params.height);
  const { size } = content;
  const styleTensor = await prepareStyle(params.style, studio.results, size.width, size.height);
  const mask = params.mask ? await loadMask(params.mask, studio.results, size, params.maskFeather) : undefined;
  const { denoiser: plain } = bundle;
  const C = plain.latentChannels;
  const dims = [1, C, size.latentHeight, size.latentWidth];
  const n = C * size.latentHeight * size.latentWidth;
  const plane = size.latentHeight * size.latentWidth;
  const layers = params.layers ?? defaultStyleLayers(plain.sites.attention);
  // Built first: a layer list the network does not have is refused before any work.
  const styled = await plain.withControllers([styleInjection({ gamma: params.gamma, temperature: params.temperature, layers })]);
  job.throwIfCancelled();

  const empty = await bundle.textEncoder.encodePrompt('', bundle.tokenizer);
  const [, tokens, hidden] = empty.dims;
  const context = new Float32Array(3 * empty.data.length);
  for (let r = 0; r < 3; r++) context.set(empty.data, r * empty.data.length);
  const steps = params.steps;
  const total = 2 * steps;
  // Content and style invert together as one batch of two (DDIM inversion is elementwise per
  // latent), with the empty prompt and guidance 1 as the reference.
  const pair = new Float32Array(2 * n);
  pair.set(await encodeLatent(bundle, content.tensor), 0);
  pair.set(await encodeLatent(bundle, styleTensor), n);
  const both = await invertDdim({
    x0: pair,
    model: async (x, t, _sigma, step) =>
      prediction(plain, await plain.run({ data: x, dims: [2, C, size.latentHeight, size.latentWidth] }, [t, t], { context: { data: context.subarray(0, 2 * empty.data.length), dims: [2, tokens, hidden] } }, step)),
    steps, schedule: bundle.schedule, parameterization: bundle.spec.prediction, signal: job.signal,
    onStep: ({ step }) => job.progress(step + 1, total),
  });
  const zc = both.latents.map((l) => l.subarray(0, n));
  const zs = both.latents.map((l) => l.subarray(n, 2 * n));
  const N = zc.length - 1;
  let z = params.adain ? adain(zc[N], zs[N], C) : Float32Array.from(zc[N]);

  const tables = ddimTables(bundle.schedule, steps, 0);
  const input = new Float32Array(3 * n);
  for (let i = N - 1; i >= 0; i--) {
    job.throwIfCancelled();
    const t = tables.timesteps[i];
    // Rows 0 and 1 are what the inversion's UNet saw at timestep t (latents[i], ε at τ_i).
    input.set(zc[i], 0);
    input.set(zs[i], n);
    input.set(z, 2 * n);
    const out = prediction(styled, await styled.run({ data: input, dims: [3, C, size.latentHeight, size.latentWidth] }, [t, t, t], { context: { data: context, dims: [3, tokens, hidden] } }, { index: N - 1 - i, count: N }));
    const raw = out.slice(2 * n, 3 * n);
    const eps = bundle.spec.prediction === 'v' ? epsFromV(bundle.schedule, t, z, raw) : raw;
    z = ddimStep(z, eps, tables.alphas[i], tables.alphasPrev[i]).x;
    if (mask) {
      // Outside the mask the latent follows the content's own trajectory at the level just reached.
      for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) if (!mask.latent[p]) z[c * plane + p] = zc[i][c * plane + p];
    }
    job.progress(steps + (N - i), total);
  }

  lastMemory = styleInjectionMemory(styled.sites.attention, layers, { channels: C, height: size.latentHeight, width: size.latentWidth }, N);
  const decoded = await bundle.vaeDecoder.decode({ data: z, dims });
  let png: Buffer;
  if (mask) {
    const merged = pasteBack(tensorToRgb(decoded, 'minus1to1').data, content.rgb.data, mask.blend);
    png = await sharp(Buffer.from(merged), { raw: { width: size.width, height: size.height, channels: 3 } }).png().toBuffer();
  } else {
    png = await sharp(Buffer.from(tensorToRgb(decoded, 'minus1to1').data), { raw: { width: size.width, height: size.height, channels: 3 } }).png().toBuffer();
  }
  const hash = await modelHash(bundle.path);
  const parameters = formatParameters({
    prompt: '', steps, sampler: 'ddim', cfg: 1, seed: 0, width: size.width, height: size.height, model: bundle.name,
    ...(hash ? { modelHash: hash } : {}),
    extra: {
      'StyleID gamma': params.gamma, 'StyleID temperature': params.temperature, 'StyleID layers': layers.join(' '),
      ...(params.adain ? {} : { 'StyleID AdaIN': 'off' }), ...(mask ? { 'Mask blur': params.maskFeather } : {}),
    },
  });
  const recipe = { format: 'latent-studio-recipe' as const, version: 1 as const, operation: 'jobs.stylize', request: { ...params, layers, width: size.width, height: size.height }, modelHash: hash };
  return [studio.results.add({ png, width: size.width, height: size.height, parameters, recipe })];
}
