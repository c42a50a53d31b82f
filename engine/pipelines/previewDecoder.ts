import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { HostTensor } from '../graph/session.ts';
import { detectModel } from '../models/detect.ts';
import { TAESDDecoder, taesdFromSpec } from '../models/taesd/taesd.ts';
import { latentFactor } from '../models/vae/latent.ts';
import { tensorToSharp } from '../image/tensor.ts';
import { encodeLatent } from './inputImage.ts';
import type { ModelBundle } from './modelBundle.ts';

/** Decodes a step's predicted clean latent [1, C, h, w] into a small PNG data URL. */
export interface PreviewDecoder {
  readonly kind: 'taesd' | 'vae' | 'linear';
  decode(latent: Float32Array, dims: readonly number[]): Promise<string>;
}

/** The full VAE stays the preview decoder only while a decode costs about as much as a step. */
const MAX_VAE_PREVIEW_LATENT_PIXELS = 32 * 32;
const TAESD_DECODER_NAME = /^taesd.*decoder.*\.safetensors$/i;

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/**
 * A TAESD decoder for these latents, looked for beside the checkpoint and in the models folder
 * (`taesd_decoder.safetensors`, as people download it). Files of another latent width (FLUX's
 * taef2 beside an SD model) or that fail to load are passed over: a preview is never worth an error.
 */
export async function findTaesdDecoder(folders: readonly string[], latentChannels: number): Promise<TAESDDecoder | null> {
  for (const folder of new Set(folders)) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((n) => TAESD_DECODER_NAME.test(n)).sort()) {
      const spec = await detectModel(join(folder, name), { pairTaesd: false }).catch(() => null);
      if (spec?.family === 'taesd' && spec.taesd.hasDecoder && spec.taesd.latentChannels === latentChannels) {
        return new TAESDDecoder(taesdFromSpec(spec));
      }
    }
  }
  return null;
}

const linearFits = new WeakMap<ModelBundle, Promise<Float32Array>>();

/**
 * Least-squares map from one latent cell (C values and 1) to its f×f patch's mean RGB, fitted
 * once per model from a VAE encode of flat colour patches — the "cheap approximation" other
 * studios hard-code for SD 1.5, derived here so it fits any VAE (the toy model's too).
 */
export function fitLatentToRgb(bundle: ModelBundle): Promise<Float32Array> {
  let fit = linearFits.get(bundle);
  if (!fit) {
    fit = fitFromPatches(bundle);
    linearFits.set(bundle, fit);
  }
  return fit;
}

async function fitFromPatches(bundle: ModelBundle): Promise<Float32Array> {
  const cells = 16;
  const f = latentFactor(bundle.spec.vae);
  const side = cells * f;
  const colours = new Float32Array(cells * cells * 3);
  let s = 12345;
  for (let i = 0; i < colours.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    colours[i] = (s / 2 ** 32) * 2 - 1;
  }
  const image = new Float32Array(3 * side * side);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) image[(c * side + y) * side + x] = colours[((Math.floor(y / f) * cells + Math.floor(x / f)) * 3) + c];
  }
  const latent = await encodeLatent(bundle, { data: image, dims: [1, 3, side, side] });
  const C = latent.length / (cells * cells);
  const k = C + 1;
  // Normal equations (XᵀX) W = XᵀY with a small ridge, solved per colour channel.
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k * 3);
  for (let p = 0; p < cells * cells; p++) {
    const row = [...Array.from({ length: C }, (_, c) => latent[c * cells * cells + p]), 1];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) xtx[i * k + j] += row[i] * row[j];
      for (let c = 0; c < 3; c++) xty[i * 3 + c] += row[i] * colours[p * 3 + c];
    }
  }
  for (let i = 0; i < k; i++) xtx[i * k + i] += 1e-3;
  return solve(xtx, xty, k, 3);
}

/** Gaussian elimination with partial pivoting for a k×k system with m right-hand sides. */
function solve(a: Float64Array, b: Float64Array, k: number, m: number): Float32Array {
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r * k + col]) > Math.abs(a[pivot * k + col])) pivot = r;
    for (let j = 0; j < k; j++) [a[col * k + j], a[pivot * k + j]] = [a[pivot * k + j], a[col * k + j]];
    for (let j = 0; j < m; j++) [b[col * m + j], b[pivot * m + j]] = [b[pivot * m + j], b[col * m + j]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r * k + col] / a[col * k + col];
      for (let j = 0; j < k; j++) a[r * k + j] -= f * a[col * k + j];
      for (let j = 0; j < m; j++) b[r * m + j] -= f * b[col * m + j];
    }
  }
  const out = new Float32Array(k * m);
  for (let r = 0; r < k; r++) for (let j = 0; j < m; j++) out[r * m + j] = b[r * m + j] / a[r * k + r];
  return out;
}

async function linearPreview(weights: Float32Array, latent: Float32Array, dims: readonly number[]): Promise<string> {
  const [, C, h, w] = dims;
  const rgb = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) {
      let v = weights[C * 3 + c];
      for (let i = 0; i < C; i++) v += latent[i * h * w + p] * weights[i * 3 + c];
      rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
    }
  }
  const png = await sharp(Buffer.from(rgb.buffer), { raw: { width: w, height: h, channels: 3 } }).resize(w * 4, h * 4, { kernel: 'cubic' }).png().toBuffer();
  return dataUrl(png);
}

/**
 * The preview decoder for a run: a TAESD decoder when one is installed (fast at any size),
 * else the model's VAE while the latent is small, else the fitted linear map.
 */
export async function previewDecoderFor(bundle: ModelBundle, dims: readonly number[], modelsDir?: string): Promise<PreviewDecoder> {
  const folders = [dirname(bundle.path), ...(modelsDir ? [modelsDir] : [])];
  // TAESD upsamples by 8: it only fits a model whose own VAE does — and SD's TAESD only SD's latent space, not PixArt-Σ's SDXL VAE.
  const sdLatents = !(bundle.spec.family === 'pixart' && bundle.spec.variant === 'sigma');
  const taesd = latentFactor(bundle.spec.vae) === 8 && sdLatents ? await findTaesdDecoder(folders, bundle.denoiser.latentChannels) : undefined;
  if (taesd) {
    return {
      kind: 'taesd',
      decode: async (latent, d) => dataUrl(await tensorToSharp(await taesd.decode({ data: latent, dims: [...d] } as HostTensor), 'zero1').png().toBuffer()),
    };
  }
  if (dims[2] * dims[3] <= MAX_VAE_PREVIEW_LATENT_PIXELS) {
    return {
      kind: 'vae',
      decode: async (latent, d) => dataUrl(await tensorToSharp(await bundle.vaeDecoder.decode({ data: latent, dims: [...d] } as HostTensor), 'minus1to1').png().toBuffer()),
    };
  }
  // Fitted on the first preview, not at job start: a short run may never ask for one.
  return { kind: 'linear', decode: async (latent, d) => linearPreview(await fitLatentToRgb(bundle), latent, d) };
}
