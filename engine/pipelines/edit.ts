import sharp from 'sharp';
import { StudioError } from '../api/errors.ts';
import type { ImageRef } from '../api/schemas.ts';
import { modelHash } from '../catalog/modelHash.ts';
import { type AttentionStore, attentionStore } from '../controllers/attentionStore/store.ts';
import { type BranchLayout, branchLayout } from '../controllers/p2p/layout.ts';
import { type EditPlan, planEdit } from '../controllers/p2p/plan.ts';
import { promptToPrompt } from '../controllers/p2p/replace.ts';
import { promptTokens } from '../controllers/p2p/wordTokens.ts';
import { tensorToRgb } from '../image/tensor.ts';
import type { JobContext } from '../studio/jobs/queue.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import { randn, randomSeed, stepNoise } from '../random/randn.ts';
import type { EditParams, StudioContext } from '../studio/context.ts';
import { editMetadata } from './editRecipe.ts';
import { type BranchResult, sampleBranches, samplerTimesteps } from './editSampling.ts';
import { encodeLatent, prepareImage } from './inputImage.ts';
import { invertPhoto, type StoredInversion } from './inversion.ts';
import { type InpaintMask, loadMask } from './mask.ts';
import { type StableDiffusionBundle as ModelBundle, loadStableDiffusionBundle, runtimeFromSettings } from './modelBundle.ts';
import { type RunLoras, withLoraRecipe, withRequestLoras } from './loras.ts';
import { withModelGuidance } from './modelGuidance.ts';
import { denoiserForRun } from './runControllers.ts';
import { imageSizing, planModelSize } from './size.ts';

/**
 * The maps local blending reads: latent/4 as in the reference (16² at 512 px), or the next
 * finer cross-attention level while latent/4 would leave fewer than 8 cells a side. A small
 * latent (the toy model's 8² at 64 px) would otherwise get 2² maps, which cannot tell an
 * object from its background.
 */
export function blendResolution(latentHeight: number, latentWidth: number, crossResolutions: readonly number[]): number {
  const coarseToFine = [...new Set(crossResolutions)].filter((r) => r <= 4).sort((a, b) => b - a);
  if (!coarseToFine.length) throw new StudioError('INVALID_REQUEST', 'This network has no cross-attention at 1/4 of the latent or finer, which local blending reads');
  return coarseToFine.find((r) => Math.min(latentHeight, latentWidth) / r >= 8) ?? coarseToFine[coarseToFine.length - 1];
}

/** The edit plan of a request, for a run of `steps` actual sampler steps. */
export function editPlanOf(bundle: ModelBundle, params: EditParams, steps: number): EditPlan {
  return planEdit(bundle.tokenizer, {
    source: params.sourcePrompt,
    target: params.targetPrompt,
    mode: params.editMode,
    steps,
    crossReplaceSteps: params.crossReplaceSteps,
    crossReplaceWords: params.crossReplaceWords,
    selfReplaceSteps: params.selfReplaceSteps,
    wordWeights: Object.entries(params.wordWeights).map(([word, weight]) => ({ word, weight })),
    localBlendWords: params.localBlendWords,
  });
}

/** Everything an edit run shares between the images of a batch. */
export interface PreparedEdit {
  bundle: ModelBundle;
  loras: RunLoras;
  /** The request with the model's defaults filled in (withModelGuidance). */
  params: EditParams & { cfg: number };
  plan: EditPlan;
  layout: BranchLayout;
  denoiser: Denoiser;
  store?: AttentionStore;
  context: Float32Array;
  contextDims: number[];
  dims: number[];
  size: { width: number; height: number };
  painted?: InpaintMask;
  inversion?: StoredInversion;
  /** LocalBlend's threshold on the max-normalised map (the reference's 0.3). */
  blendThreshold: number;
}

export interface RenderedEdit {
  png: Buffer;
  /** Latent-resolution region the edit was confined to, or null for a whole-image edit. */
  region: Float32Array | null;
}

/**
 * Loads, plans and (for a photo) inverts: every check that can fail does so here, before
 * the first sampling step.
 */
export async function prepareEdit(
  request: EditParams,
  studio: Pick<StudioContext, 'settings' | 'results'>,
  signal?: AbortSignal,
  options: { blendThreshold?: number; onInversionStep?: (done: number, count: number) => void } = {},
): Promise<PreparedEdit> {
  if (request.image && request.sampler !== 'ddim') {
    throw new StudioError('INVALID_REQUEST', 'Editing a photo inverts it with DDIM; use the ddim sampler');
  }
  if (request.image && request.batchCount > 1) {
    throw new StudioError('INVALID_REQUEST', 'Editing a photo is deterministic; a batch would repeat the same image');
  }
  const settings = await studio.settings.get();
  const runtime = runtimeFromSettings(settings);
  const loras = await withRequestLoras(await loadStableDiffusionBundle(request.model, runtime, 'Edit (prompt-to-prompt)'), { prompt: `${request.sourcePrompt} ${request.targetPrompt}`, negativePrompt: request.negativePrompt, loras: request.loras, embeddingsDir: request.embeddingsDir, loraMode: request.loraMode }, settings);
  const bundle = loras.bundle as ModelBundle;
  const params = withModelGuidance(request, bundle.spec);
  const steps = samplerTimesteps(params.sampler, params.steps, bundle.schedule).length;
  const plan = editPlanOf(bundle, params, steps);
  const negative = promptTokens(bundle.tokenizer, params.negativePrompt);
  const photo = params.image ? await prepareImage(params.image, studio.results, imageSizing(bundle.spec), params.width, params.height) : undefined;
  const size = photo ? photo.size : planModelSize(bundle.spec, params.width, params.height);
  const dims = [1, bundle.denoiser.latentChannels, size.latentHeight, size.latentWidth];
  const painted = params.mask ? await loadMask(params.mask, studio.results, size, 0) : undefined;

  const guided = params.cfg !== 1;
  const layout = branchLayout(guided);
  const texts = await bundle.textEncoder.encodeIds([plan.source.ids, plan.target.ids, negative.ids], 3);
  const [T, D] = [texts.dims[1], texts.dims[2]];
  const row = (i: number) => texts.data.subarray(i * T * D, (i + 1) * T * D);
  const order = guided ? [2, 2, 0, 1] : [0, 1];
  const context = new Float32Array(order.length * T * D);
  order.forEach((i, r) => context.set(row(i), r * T * D));

  const wantsBlend = plan.blendTokens.some((t) => t.length > 0);
  const crossResolutions = () => bundle.denoiser.sites.attention.filter((a) => a.kind === 'cross').map((a) => a.grid.downsample);
  const store = wantsBlend
    ? attentionStore({ resolution: blendResolution(size.latentHeight, size.latentWidth, crossResolutions()), rows: [layout.source, layout.target + 1] })
    : undefined;
  const p2p = promptToPrompt({ plan, layout });
  // Token merging or image prompts in the request are refused here by the controllers' conflicts.
  const denoiser = await denoiserForRun(bundle, settings, studio.results, params, { own: store ? [p2p, store] : [p2p] });

  const inversion = photo
    ? await invertPhoto(
        bundle,
        { pixels: photo.rgb.data, width: size.width, height: size.height, model: bundle.path, prompt: plan.source.text, steps, cfg: params.cfg },
        await encodeLatent(bundle, photo.tensor),
        { data: row(0).slice(), dims: [1, T, D] },
        dims,
        signal,
        options.onInversionStep,
      )
    : undefined;
  return { bundle, loras, params, plan, layout, denoiser, store, context, contextDims: [layout.rows, T, D], dims, size, painted, inversion, blendThreshold: options.blendThreshold ?? params.localBlendThreshold };
}

/** One edited image from a seed (ignored for a photo). */
export async function renderEdit(e: PreparedEdit, seed: number, onStep?: (done: number, count: number) => void, signal?: AbortSignal): Promise<RenderedEdit> {
  const { bundle, params, inversion, dims } = e;
  e.store?.reset();
  const result = await sampleBranches({
    denoiser: e.denoiser, plan: e.plan, layout: e.layout, context: e.context, contextDims: e.contextDims, cfg: params.cfg, dims,
    sampler: params.sampler, steps: params.steps, schedule: bundle.schedule, parameterization: bundle.spec.prediction,
    start: inversion ? inversion.latents[inversion.latents.length - 1] : randn(seed, dims),
    ...(inversion ? { inversion } : { stepNoise: stepNoise(seed, dims) }),
    store: e.store,
    blendThreshold: e.blendThreshold,
    painted: e.painted?.latent,
    onStep,
    signal,
  });
  return { png: await composeEdit(bundle, result, dims, e.painted?.binary), region: result.region };
}

/**
 * Prompt-to-prompt edit (Hertz et al.): the source and the edited prompt sample together
 * in one batch from one start — a seed's noise, or a photo's DDIM inversion — while the
 * controller lets the target borrow the source's attention. Returns the edited image; the
 * unedited one is the source branch (a seed's plain generation, a photo's VAE round trip),
 * and with a blend region every pixel outside it is taken from there.
 */
export async function edit(request: EditParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  // Inversion (skipped when cached) reports its own pass before the edit's steps.
  const e = await prepareEdit(request, studio, job.signal, { onInversionStep: (done, count) => job.progress(done, count) });
  const { params } = e;
  job.throwIfCancelled();
  const hash = await modelHash(e.bundle.path);
  const seed = e.inversion ? (params.seed ?? 0) : (params.seed ?? randomSeed());
  const images: ImageRef[] = [];
  for (let i = 0; i < params.batchCount; i++) {
    const imageSeed = seed + i;
    const { png } = await renderEdit(e, imageSeed, (done, count) => job.progress(i * count + done, count * params.batchCount), job.signal);
    job.throwIfCancelled();
    const meta = withLoraRecipe(editMetadata(params, e.plan, { seed: imageSeed, width: e.size.width, height: e.size.height }, { name: e.bundle.name, hash }, e.loras.parameters), e.loras.used);
    images.push(studio.results.add({ png, width: e.size.width, height: e.size.height, seed: imageSeed, ...meta }));
  }
  return images;
}

/**
 * The edited image; with a region, pixels outside it come from the unedited source branch
 * so nothing there moves (the VAE decoder mixes neighbouring latents, a latent blend alone
 * would leak across the border).
 */
async function composeEdit(bundle: ModelBundle, r: BranchResult, dims: number[], paintedPixels: Float32Array | undefined): Promise<Buffer> {
  const decode = async (latent: Float32Array) => tensorToRgb(await bundle.vaeDecoder.decode({ data: latent, dims }), 'minus1to1');
  const target = await decode(r.target);
  const { width, height } = target;
  if (r.region) {
    const source = await decode(r.source);
    const lw = dims[3];
    const f = width / lw;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        const inside = r.region[Math.floor(y / f) * lw + Math.floor(x / f)] > 0 && (!paintedPixels || paintedPixels[p] > 0);
        if (!inside) for (let c = 0; c < 3; c++) target.data[p * 3 + c] = source.data[p * 3 + c];
      }
    }
  }
  return sharp(Buffer.from(target.data), { raw: { width, height, channels: 3 } }).png().toBuffer();
}
