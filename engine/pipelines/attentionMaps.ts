import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import type { ImageInput } from '../api/schemas.ts';
import { attentionStore } from '../controllers/attentionStore/store.ts';
import { type MapGrid, nearest } from '../controllers/p2p/localBlend.ts';
import { promptTokens, tokensOfWords } from '../controllers/p2p/wordTokens.ts';
import { randn, stepNoise } from '../random/randn.ts';
import { invertDdim } from '../schedulers/inversion.ts';
import { sample } from '../schedulers/sample.ts';
import type { SamplerName } from '../schedulers/types.ts';
import type { ResultStore } from '../studio/results/store.ts';
import { decodeToPng } from './encodeImage.ts';
import { guidedModel } from './guidance.ts';
import { encodeLatent, prepareImage } from './inputImage.ts';
import { type BundleRuntime, loadBundle } from './modelBundle.ts';
import { withModelGuidance } from './modelGuidance.ts';
import { imageSizing, planModelSize } from './size.ts';

export interface AttentionMapsRequest {
  model: string;
  prompt: string;
  negativePrompt?: string;
  seed: number;
  steps?: number;
  cfg?: number;
  sampler?: SamplerName;
  width?: number;
  height?: number;
  /** Maps of the cross-attention sites this many times coarser than the latent (default 4). */
  resolution?: number;
  /**
   * An existing image (an opened photo, an edited result): its maps are read while it is
   * DDIM-inverted under the prompt, so they describe that image, not a new one from `seed`.
   */
  image?: ImageInput;
  signal?: AbortSignal;
  onStep?: (done: number, count: number) => void;
}

export interface WordMap {
  word: string;
  /** Window positions of the word's tokens. */
  tokens: number[];
  /** Mean over the word's tokens of the heads-, sites- and steps-averaged map; grid-sized. */
  map: Float32Array;
}

export interface AttentionMaps {
  png: Buffer;
  width: number;
  height: number;
  grid: MapGrid;
  words: WordMap[];
}

/**
 * Generates an image and records, for each word of its prompt, where the conditional
 * branch's cross-attention put it (P2P's `aggregate_attention`): softmax maps at one
 * resolution averaged over heads, sites and steps.
 */
export async function attentionMaps(req: AttentionMapsRequest, runtime: BundleRuntime = {}, results?: ResultStore): Promise<AttentionMaps> {
  const bundle = await loadBundle(req.model, runtime);
  // Inversion runs the conditional branch alone (guidance 1), as the edit's inversion does.
  const cfg = req.image ? 1 : withModelGuidance(req, bundle.spec).cfg;
  const resolution = req.resolution ?? 4;
  if (req.image && !results) throw new StudioError('RUNTIME_FAILURE', 'Attention maps of an image need the result store to read it from');
  const photo = req.image ? await prepareImage(req.image, results!, imageSizing(bundle.spec), req.width, req.height) : undefined;
  const size = photo ? photo.size : planModelSize(bundle.spec, req.width, req.height);
  const dims = [1, bundle.denoiser.latentChannels, size.latentHeight, size.latentWidth];
  const prompt = promptTokens(bundle.tokenizer, req.prompt);
  const negative = promptTokens(bundle.tokenizer, req.negativePrompt ?? '');
  const texts = await bundle.textEncoder.encodeIds([prompt.ids, negative.ids], 2);
  const window = texts.dims[1] * texts.dims[2];
  const embedding = (i: number) => ({ data: texts.data.slice(i * window, (i + 1) * window), dims: [1, texts.dims[1], texts.dims[2]] as [number, number, number] });
  // guidedModel's batch is [uncond, cond], or [cond] alone at cfg 1.
  const condRow = cfg === 1 ? 0 : 1;
  const store = attentionStore({ resolution, rows: [condRow, condRow + 1] });
  const denoiser = await bundle.denoiser.withControllers([store]);
  const model = guidedModel(denoiser, embedding(0), embedding(1), cfg, dims);
  const steps = req.steps ?? 25;
  let png: Buffer;
  if (photo) {
    await invertDdim({
      x0: await encodeLatent(bundle, photo.tensor), model, steps, schedule: bundle.schedule, parameterization: bundle.spec.prediction,
      signal: req.signal, onStep: (info) => req.onStep?.(info.step + 1, info.count),
    });
    png = await sharp(photo.rgb.data, { raw: { width: photo.rgb.width, height: photo.rgb.height, channels: 3 } }).png().toBuffer();
  } else {
    const latent = await sample({
      sampler: req.sampler ?? 'ddim',
      steps,
      schedule: bundle.schedule,
      parameterization: bundle.spec.prediction,
      model,
      noise: randn(req.seed, dims),
      stepNoise: stepNoise(req.seed, dims),
      signal: req.signal,
      onStep: (info) => req.onStep?.(info.done, info.count),
    });
    png = await decodeToPng(bundle, latent, dims);
  }
  const grid = { height: Math.ceil(size.latentHeight / resolution), width: Math.ceil(size.latentWidth / resolution) };
  const mean = store.average();
  const P = grid.height * grid.width;
  const T = prompt.length;
  const words = prompt.words.map((word, k) => {
    const tokens = tokensOfWords(prompt, [k]);
    const map = new Float32Array(P);
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (const n of tokens) s += mean[p * T + n];
      map[p] = tokens.length ? s / tokens.length : 0;
    }
    return { word, tokens, map };
  });
  return { png, width: size.width, height: size.height, grid, words };
}

/** A map as a grey PNG of the image's size: scaled by its own maximum, nearest upsampling. */
export function mapToPng(map: Float32Array, grid: MapGrid, width: number, height: number): Promise<Buffer> {
  const up = nearest(map, grid, { height, width });
  let max = 0;
  for (const v of up) max = Math.max(max, v);
  const bytes = Buffer.from(up.map((v) => (max > 0 ? Math.round((255 * Math.max(0, v)) / max) : 0)));
  return sharp(bytes, { raw: { width, height, channels: 1 } }).png().toBuffer();
}
