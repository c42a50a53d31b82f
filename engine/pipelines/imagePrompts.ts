import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import type { ImageInput, Settings } from '../api/schemas.ts';
import type { AttentionController } from '../controllers/controller.ts';
import { type BlockScales, type ImagePromptKV, blockMultipliers, ipAdapter, loadIpAdapterFile } from '../controllers/ipAdapter/index.ts';
import { loadImageInput } from '../image/loadImage.ts';
import type { HostTensor } from '../graph/session.ts';
import { readRgb } from '../image/tensor.ts';
import { clipPreprocess } from '../models/clipVision/preprocess.ts';
import { loadImageEncoder } from '../models/clipVision/encoder.ts';
import type { ResultStore } from '../studio/results/store.ts';
import { type ModelBundle, runtimeFromSettings } from './modelBundle.ts';

/** What a request says about image prompts (the SamplingSchema fields). */
export interface ImagePromptRequest {
  imagePrompts?: ReadonlyArray<{ image: ImageInput; scale: number }>;
  ipAdapter?: { path: string; imageEncoder?: string; blocks?: BlockScales };
}

/** Where h94's layout and common model folders keep the encoder next to an adapter file. */
export function findImageEncoder(adapterPath: string, modelsDir?: string): string {
  const here = dirname(adapterPath);
  const candidates = [join(here, 'image_encoder'), join(dirname(here), 'models', 'image_encoder'), join(dirname(here), 'image_encoder')];
  if (modelsDir) candidates.push(join(modelsDir, 'image_encoder'), join(modelsDir, 'clip_vision'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new StudioError('NOT_FOUND', `No CLIP image encoder for ${basename(adapterPath)}: looked in ${candidates.join(', ')}; pass its folder or model.safetensors as the image encoder`, { candidates });
  }
  return found;
}

/**
 * The IP-Adapter controller of a request, or null when there is nothing to add (no image
 * prompts, or every scale 0 — so scale 0 is exactly the adapter off). Everything per image
 * runs here once: CLIP preprocessing, the image encoder, the projection and every site's
 * K/V; sampling steps only feed the results.
 */
export async function imagePromptController(bundle: ModelBundle, settings: Settings, request: ImagePromptRequest, results: ResultStore): Promise<AttentionController | null> {
  const prompts = request.imagePrompts ?? [];
  if (!prompts.length) return null;
  if (!request.ipAdapter) throw new StudioError('INVALID_REQUEST', 'Image prompts need an IP-Adapter file (ipAdapter.path / --ip-adapter)');
  if (prompts.every((p) => p.scale === 0)) return null;
  const rt = { ...runtimeFromSettings(settings) };
  const sites = bundle.denoiser.sites.attention;
  const adapter = await loadIpAdapterFile(request.ipAdapter.path, sites, bundle.denoiser.contextDim, rt);
  const encoder = await loadImageEncoder(request.ipAdapter.imageEncoder ?? findImageEncoder(request.ipAdapter.path, settings.modelsDir), rt);
  const { layout } = adapter;
  const plus = layout.projection === 'resampler';
  const featureWidth = plus ? encoder.config.hiddenSize : encoder.config.projectionDim;
  if (featureWidth !== layout.featureDim) {
    throw new StudioError('INVALID_REQUEST', `${basename(adapter.path)} takes ${layout.featureDim}-wide image features but ${encoder.path} gives ${featureWidth} (another image encoder: the SD 1.5 adapters use ViT-H/14)`, {
      adapter: adapter.path, encoder: encoder.path,
    });
  }

  // One encoder batch: every reference image, then (plus) an all-zero pixel tensor for the unconditional tokens.
  const size = encoder.config.imageSize;
  const plane = 3 * size * size;
  const M = prompts.length;
  const pixels = new Float32Array((M + (plus ? 1 : 0)) * plane);
  for (let m = 0; m < M; m++) {
    const loaded = await loadImageInput(prompts[m].image, results);
    pixels.set(clipPreprocess(await readRgb(loaded.bytes), size).data as Float32Array, m * plane);
  }
  const batch = pixels.length / plane;
  const pix: HostTensor = { data: pixels, dims: [batch, 3, size, size] };
  let features: HostTensor;
  if (plus) {
    features = await encoder.penultimate(pix);
  } else {
    // The reference's unconditional tokens: the projection of a zero embedding.
    const e = await encoder.embeds(pix);
    const withZero = new Float32Array((M + 1) * layout.featureDim);
    withZero.set(e.data as Float32Array, 0);
    features = { data: withZero, dims: [M + 1, layout.featureDim] };
  }
  const kv = await adapter.run(features);
  const uncondRow = M;
  const row = (x: Float32Array, b: number, n: number) => x.slice(b * n, (b + 1) * n);
  const ordered = sites.filter((s) => s.kind === 'cross');
  const bindingOf = new Map(adapter.bindings.map((b, i) => [b.site.path, i]));
  const images: ImagePromptKV[] = prompts.map((_, m) => {
    const pick = (b: number) => ordered.map((s) => {
      const i = bindingOf.get(s.path)!;
      const n = layout.tokens * s.channels;
      return { k: row(kv.kv[i].k, b, n), v: row(kv.kv[i].v, b, n) };
    });
    return { cond: pick(m), uncond: pick(uncondRow) };
  });
  const multipliers = blockMultipliers(ordered, request.ipAdapter.blocks);
  return ipAdapter({ sites: ordered, tokens: layout.tokens, images, scales: prompts.map((p) => multipliers.map((f) => f * p.scale)) });
}

/** A1111-style `parameters` entries for image prompts (the recipe holds the full request). */
export function imagePromptParameters(request: ImagePromptRequest): Record<string, string> {
  const prompts = request.imagePrompts ?? [];
  if (!prompts.length || !request.ipAdapter) return {};
  const blocks = request.ipAdapter.blocks;
  return {
    'IP-Adapter': basename(request.ipAdapter.path).replace(/\.safetensors$/, ''),
    'IP-Adapter scales': prompts.map((p) => p.scale).join(' '),
    ...(blocks ? { 'IP-Adapter blocks': typeof blocks === 'string' ? blocks : Object.entries(blocks).map(([k, v]) => `${k}=${v}`).join(' ') } : {}),
  };
}
