import { StudioError } from '../api/errors.ts';
import type { Settings } from '../api/schemas.ts';
import type { ProviderPreference } from '../graph/provider.ts';
import { loadTextEncoder, type TextEncoder } from '../models/clip/textEncoder.ts';
import { detectModel } from '../models/detect.ts';
import type { ImageModelSpec, PixArtPipelineSpec, StableDiffusionSpec } from '../models/spec.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import { loadDenoiser } from '../models/families/loadDenoiser.ts';
import { VAEDecoder, VAEEncoder, vaeFromSpec } from '../models/vae/vae.ts';
import { makeSchedule, type NoiseSchedule } from '../schedulers/schedule.ts';
import type { CLIPTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { tokenizerFor } from '../tokenizer/forModel.ts';
import { clipConditioner, type Conditioner } from './conditioner.ts';
import { guardNonFinite } from './finite.ts';
import { loadPixArtParts } from './pixartBundle.ts';

/** What every generating pipeline needs of a model, whatever its family, loaded once. */
interface BundleBase {
  path: string;
  name: string;
  spec: ImageModelSpec;
  denoiser: Denoiser;
  /** (prompt, negative) → the Conditioning rows guidance batches. */
  conditioner: Conditioner;
  vaeDecoder: VAEDecoder;
  vaeEncoder: VAEEncoder;
  schedule: NoiseSchedule;
}

/** A Stable Diffusion checkpoint: also its CLIP parts, which prompt editing and attention maps read directly. */
export interface StableDiffusionBundle extends BundleBase {
  spec: StableDiffusionSpec;
  tokenizer: CLIPTokenizer;
  textEncoder: TextEncoder;
}

export interface PixArtBundle extends BundleBase {
  spec: PixArtPipelineSpec;
}

export type ModelBundle = StableDiffusionBundle | PixArtBundle;

export interface BundleRuntime {
  threads?: number;
  provider?: ProviderPreference;
}

export function runtimeFromSettings(settings: Settings): BundleRuntime {
  const provider = settings.executionProvider === 'auto' ? 'auto' : settings.executionProvider;
  return { ...(settings.threads > 0 ? { threads: settings.threads } : {}), provider: provider as ProviderPreference };
}

/** Loaded bundles kept warm; switching back and forth between two models stays fast. */
const KEEP = 2;
const bundles = new Map<string, Promise<ModelBundle>>();

async function load(path: string, runtime: BundleRuntime, vaePath?: string): Promise<ModelBundle> {
  const spec = await detectModel(path, vaePath ? { vaePath } : {});
  if (vaePath && spec.family !== 'pixart') {
    throw new StudioError('INVALID_REQUEST', `A separate VAE (${vaePath}) is read for PixArt models; ${path} brings its own VAE inside the checkpoint`, { model: path, vae: vaePath });
  }
  if (spec.family === 'taesd') {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path} is a TAESD preview autoencoder, not an image model`);
  }
  if (spec.family === 'sdxl') {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path} is an SDXL ${spec.variant} checkpoint: its networks load (debug sdxl-*), the pipelines do not run it yet`);
  }
  const rt = { threads: runtime.threads, provider: runtime.provider };
  // No arena for the VAE: its activations at full image size are large and needed once per image.
  const vaeRuntime = { runtime: { provider: rt.provider, intraOpNumThreads: rt.threads, memArena: false } };
  const vae = vaeFromSpec(spec);
  const name = path.split(/[\\/]/).pop()!.replace(/\.safetensors$/, '');
  const common = { path, name, vaeDecoder: new VAEDecoder(vae, vaeRuntime), vaeEncoder: new VAEEncoder(vae, vaeRuntime) };
  if (spec.family === 'pixart') {
    const parts = await loadPixArtParts(spec, rt);
    return guardNonFinite({ ...common, spec, ...parts, schedule: makeSchedule(spec.schedule) });
  }
  const tokenizer = await tokenizerFor({ family: spec.family, tokenizerDir: spec.tokenizerDir, checkpoint: path });
  const textEncoder = await loadTextEncoder(spec, rt);
  const denoiser = await loadDenoiser(spec, { runtime: rt });
  return guardNonFinite({
    ...common, spec, tokenizer, textEncoder, denoiser,
    conditioner: clipConditioner(textEncoder, tokenizer),
    schedule: makeSchedule(),
  });
}

/** `vaePath`: a VAE the request points at instead of the one found with the model (PixArt). */
export function loadBundle(path: string, runtime: BundleRuntime = {}, vaePath?: string): Promise<ModelBundle> {
  const key = `${path}|${runtime.threads ?? ''}|${runtime.provider ?? ''}|${vaePath ?? ''}`;
  let bundle = bundles.get(key);
  if (bundle) {
    bundles.delete(key);
  } else {
    bundle = load(path, runtime, vaePath);
    bundle.catch(() => bundles.delete(key));
  }
  bundles.set(key, bundle);
  while (bundles.size > KEEP) bundles.delete(bundles.keys().next().value as string);
  return bundle;
}

/**
 * The bundle of an operation that exists only for Stable Diffusion's UNet and CLIP so far
 * (prompt-to-prompt, attention maps, StyleID, IP-Adapter): a DiT is refused up front with
 * the reason, before anything runs.
 */
export function requireStableDiffusion(bundle: ModelBundle, operation: string): StableDiffusionBundle {
  if (bundle.spec.family === 'pixart') {
    throw new StudioError('INVALID_REQUEST', `${operation} is not available for ${bundle.name}: it works on Stable Diffusion's UNet and CLIP prompt tokens, and this is a PixArt diffusion transformer (DiT) with a T5 encoder`, {
      model: bundle.path, family: 'pixart', operation,
    });
  }
  return bundle as StableDiffusionBundle;
}

/** loadBundle for an SD-only operation (see requireStableDiffusion). */
export async function loadStableDiffusionBundle(path: string, runtime: BundleRuntime, operation: string): Promise<StableDiffusionBundle> {
  return requireStableDiffusion(await loadBundle(path, runtime), operation);
}
