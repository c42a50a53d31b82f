import { access, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StudioError, isStudioError } from '../../api/errors.ts';
import { type ScheduleConfig } from '../../schedulers/schedule.ts';
import type { SafetensorsDType } from '../../safetensors/types.ts';
import type { PixArtPipelineSpec } from '../spec.ts';
import { readJson } from '../diffusersFolder.ts';
import { detectT5 } from '../t5/detect.ts';
import { PIXART_MAX_LENGTH } from '../t5/tokenizer.ts';
import type { T5Spec } from '../t5/config.ts';
import { loadStandaloneVae, type StandaloneVAE } from '../vae/standalone.ts';
import { WeightStore } from '../weightStore.ts';
import { aspectBuckets } from './buckets.ts';
import { openPixArt, type PixArtSpec } from './open.ts';

export interface PixArtPipelineOptions {
  /** A config for what the transformer's shapes cannot tell. */
  configPath?: string;
  /** The VAE to decode with (a diffusers vae/ folder or a .safetensors file); wins over one found with the model. */
  vaePath?: string;
  /** The T5 encoder (text_encoder/ folder or t5xxl_*.safetensors); wins over one found with the model. */
  textEncoderPath?: string;
  variant?: 'fp32' | 'fp16';
}

/** PixArt's training schedule (ALGORITHMS-2 §6.1): plain linear betas, not SD's scaled-linear. */
export const PIXART_SCHEDULE: Readonly<ScheduleConfig> = Object.freeze({ linearStart: 1e-4, linearEnd: 0.02, timesteps: 1000, betaSchedule: 'linear' });
/** The official and diffusers guidance scale. */
const PIXART_GUIDANCE = 4.5;
/** VAE scale factors by variant: SD's kl-f8 for α, SDXL's VAE for Σ. */
const SCALE = { alpha: 0.18215, sigma: 0.13025 } as const;

const exists = (p: string) => access(p).then(() => true, () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
type Json = Record<string, unknown>;

/**
 * True when a folder is a PixArt pipeline: model_index.json names one, or there is no
 * model_index.json and it holds a transformer/ (SD3 and Flux folders have one too, and say so).
 */
export async function isPixArtFolder(dir: string): Promise<boolean> {
  const index = await readJson(join(dir, 'model_index.json')).catch(() => undefined);
  const name = typeof index?._class_name === 'string' ? index._class_name : undefined;
  if (name !== undefined) return /pixart/i.test(name);
  return isDir(join(dir, 'transformer'));
}

/** A component the pipeline cannot run without: CHECKPOINT_INCOMPLETE naming it and where it was looked for. */
function missing(label: string, what: string, lookedIn: string[]): StudioError {
  return new StudioError('CHECKPOINT_INCOMPLETE', `${label}: PixArt needs ${what}, and none was found (looked for ${lookedIn.join(', ')})`, {
    file: label, missing: [what], lookedFor: lookedIn,
  });
}

/** Files beside a single-file transformer whose names say what they are (`t5xxl_fp16.safetensors`, `sd-vae-ft-ema.safetensors`). */
async function besideMatching(file: string, pattern: RegExp): Promise<string | undefined> {
  const dir = dirname(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  const hit = names.filter((n) => n !== basename(file) && n.endsWith('.safetensors') && pattern.test(n)).sort()[0];
  return hit ? join(dir, hit) : undefined;
}

async function findTextEncoder(path: string, folder: boolean, options: PixArtPipelineOptions): Promise<T5Spec> {
  const given = options.textEncoderPath;
  const candidates = given ? [given] : folder ? [join(path, 'text_encoder')] : [join(dirname(path), 'text_encoder'), await besideMatching(path, /t5/i)].filter((p): p is string => !!p);
  for (const c of candidates) if (await exists(c)) return detectT5(c, { variant: options.variant ?? 'fp32' });
  throw missing(path, 'a T5 text encoder', given ? [given] : folder ? ['text_encoder/'] : ['text_encoder/ beside the file', 'a *t5*.safetensors file beside it']);
}

async function findVae(path: string, folder: boolean, options: PixArtPipelineOptions): Promise<StandaloneVAE> {
  const given = options.vaePath;
  const candidates = given ? [given] : folder ? [join(path, 'vae')] : [join(dirname(path), 'vae'), await besideMatching(path, /vae/i)].filter((p): p is string => !!p);
  for (const c of candidates) if (await exists(c)) return loadStandaloneVae(c, options.variant ?? 'fp32');
  throw missing(path, 'a VAE', given ? [given] : folder ? ['vae/'] : ['vae/ beside the file', 'a *vae*.safetensors file beside it']);
}

/** diffusers scheduler_config.json beta fields; anything else keeps PixArt's own schedule. */
function scheduleFrom(config: Json | undefined, warnings: string[]): ScheduleConfig {
  if (!config) return { ...PIXART_SCHEDULE };
  const num = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  const name = config.beta_schedule;
  const betaSchedule = name === 'scaled_linear' ? 'scaled_linear' : 'linear';
  if (typeof name === 'string' && name !== 'linear' && name !== 'scaled_linear') warnings.push(`scheduler beta_schedule "${name}" is not supported; using linear betas`);
  return {
    linearStart: num(config.beta_start, PIXART_SCHEDULE.linearStart),
    linearEnd: num(config.beta_end, PIXART_SCHEDULE.linearEnd),
    timesteps: num(config.num_train_timesteps, PIXART_SCHEDULE.timesteps),
    betaSchedule,
  };
}

/** α or Σ: the pipeline class says so, else the learned null caption's length (120 / 300), else α. */
function variantOf(index: Json | undefined, transformer: PixArtSpec): 'alpha' | 'sigma' {
  const name = typeof index?._class_name === 'string' ? index._class_name : '';
  if (/sigma/i.test(name)) return 'sigma';
  if (/alpha/i.test(name)) return 'alpha';
  return transformer.config.nullCaptionTokens === PIXART_MAX_LENGTH.sigma ? 'sigma' : 'alpha';
}

/**
 * A PixArt pipeline from what users hold: a diffusers pipeline folder (transformer/,
 * text_encoder/, tokenizer/, vae/, scheduler/) or a single transformer file with its T5
 * encoder and VAE beside it (or named in `options`). Headers and configs only; every part
 * that is missing is a CHECKPOINT_INCOMPLETE naming it.
 */
export async function detectPixArtPipeline(path: string, options: PixArtPipelineOptions = {}): Promise<PixArtPipelineSpec> {
  const folder = await isDir(path);
  const transformer = await openPixArt(path, options.configPath ? { configPath: options.configPath } : {});
  const warnings = [...transformer.warnings];
  // Both are looked for before either error is raised, so one message can name both.
  const [t5, vae] = await Promise.allSettled([findTextEncoder(path, folder, options), findVae(path, folder, options)]);
  const failures = [t5, vae].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length === 2 && failures.every((e) => isStudioError(e) && e.code === 'CHECKPOINT_INCOMPLETE')) {
    throw new StudioError('CHECKPOINT_INCOMPLETE', `${path}: PixArt needs a T5 text encoder and a VAE; neither was found (${folder ? 'text_encoder/, vae/' : 'text_encoder/ or *t5*.safetensors, vae/ or *vae*.safetensors beside the file'})`, {
      file: path, missing: ['a T5 text encoder', 'a VAE'],
    });
  }
  if (failures.length) throw failures[0];
  const encoder = (t5 as PromiseFulfilledResult<T5Spec>).value;
  const autoencoder = (vae as PromiseFulfilledResult<StandaloneVAE>).value;
  if (encoder.config.dModel !== transformer.config.captionChannels) {
    throw new StudioError('SHAPE_MISMATCH', `${path}: the T5 encoder (${encoder.path}) gives ${encoder.config.dModel}-wide states but the transformer's caption projection takes ${transformer.config.captionChannels}`, { file: path });
  }
  if (autoencoder.config.embedDim !== transformer.config.inChannels) {
    throw new StudioError('SHAPE_MISMATCH', `${path}: the VAE (${autoencoder.source}) has ${autoencoder.config.embedDim} latent channels but the transformer takes ${transformer.config.inChannels}`, { file: path });
  }
  const index = folder ? await readJson(join(path, 'model_index.json')) : undefined;
  const variant = variantOf(index, transformer);
  const schedule = scheduleFrom(folder ? await readJson(join(path, 'scheduler', 'scheduler_config.json')) : undefined, warnings);
  const nativeSize = transformer.config.sampleSize * 8;
  const files = [...new Set([...transformer.files, ...encoder.files, ...WeightStore.from(autoencoder.tensors, autoencoder.source).files()])];
  const dtypes = new Set<SafetensorsDType | 'mixed'>([transformer.weightDType, encoder.weightDType]);
  return {
    family: 'pixart',
    variant,
    layout: transformer.layout,
    files,
    ...(transformer.configFile ? { configFile: transformer.configFile } : {}),
    weights: WeightStore.from(autoencoder.tensors, autoencoder.source),
    weightDType: dtypes.size === 1 ? [...dtypes][0] : 'mixed',
    unexpectedKeys: transformer.unexpectedKeys,
    warnings: [...warnings, ...encoder.warnings],
    transformer,
    textEncoders: [encoder],
    vaeSource: autoencoder.source,
    vae: autoencoder.config,
    scaleFactor: autoencoder.scaleFactor ?? SCALE[variant],
    prediction: 'eps',
    inpainting: false,
    nativeSize,
    guidanceScale: PIXART_GUIDANCE,
    maxTokens: PIXART_MAX_LENGTH[variant],
    schedule,
    sizes: aspectBuckets(nativeSize),
  };
}
