import { StudioError } from '../api/errors.ts';
import type { Settings } from '../api/schemas.ts';
import type { ProviderPreference } from '../graph/provider.ts';
import { loadTextEncoder, type TextEncoder } from '../models/clip/textEncoder.ts';
import { detectModel } from '../models/detect.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import { loadDenoiser } from '../models/families/loadDenoiser.ts';
import { VAEDecoder, VAEEncoder, vaeFromSpec } from '../models/vae/vae.ts';
import { makeSchedule, type NoiseSchedule } from '../schedulers/schedule.ts';
import type { CLIPTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { tokenizerFor } from '../tokenizer/forModel.ts';
import { guardNonFinite } from './finite.ts';

/** Everything a pipeline needs of one Stable Diffusion checkpoint, loaded once. */
export interface ModelBundle {
  path: string;
  name: string;
  spec: StableDiffusionSpec;
  tokenizer: CLIPTokenizer;
  textEncoder: TextEncoder;
  denoiser: Denoiser;
  vaeDecoder: VAEDecoder;
  vaeEncoder: VAEEncoder;
  schedule: NoiseSchedule;
}

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

async function load(path: string, runtime: BundleRuntime): Promise<ModelBundle> {
  const spec = await detectModel(path);
  if (spec.family === 'taesd') {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path} is a TAESD preview autoencoder, not an image model`);
  }
  if (spec.family === 'sdxl') {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path} is an SDXL ${spec.variant} checkpoint: its networks load (debug sdxl-*), the pipelines do not run it yet`);
  }
  const rt = { threads: runtime.threads, provider: runtime.provider };
  const tokenizer = await tokenizerFor({ family: spec.family, tokenizerDir: spec.tokenizerDir, checkpoint: path });
  const textEncoder = await loadTextEncoder(spec, rt);
  const denoiser = await loadDenoiser(spec, { runtime: rt });
  // No arena for the VAE: its activations at full image size are large and needed once per image.
  const vaeRuntime = { runtime: { provider: rt.provider, intraOpNumThreads: rt.threads, memArena: false } };
  const vae = vaeFromSpec(spec);
  const name = path.split(/[\\/]/).pop()!.replace(/\.safetensors$/, '');
  return guardNonFinite({
    path, name, spec, tokenizer, textEncoder, denoiser,
    vaeDecoder: new VAEDecoder(vae, vaeRuntime),
    vaeEncoder: new VAEEncoder(vae, vaeRuntime),
    schedule: makeSchedule(),
  });
}

export function loadBundle(path: string, runtime: BundleRuntime = {}): Promise<ModelBundle> {
  const key = `${path}|${runtime.threads ?? ''}|${runtime.provider ?? ''}`;
  let bundle = bundles.get(key);
  if (bundle) {
    bundles.delete(key);
  } else {
    bundle = load(path, runtime);
    bundle.catch(() => bundles.delete(key));
  }
  bundles.set(key, bundle);
  while (bundles.size > KEEP) bundles.delete(bundles.keys().next().value as string);
  return bundle;
}
