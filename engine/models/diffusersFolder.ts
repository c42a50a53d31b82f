import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';
import { readSafetensorsHeader } from '../safetensors/header.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import { parsePrediction } from './configHints.ts';
import { renameTensors, type RenameRule } from './keyRules.ts';
import { diffusersUNetContext, diffusersUNetRules } from './layouts/diffusersUnet.ts';
import { diffusersTextRules, diffusersVAEContext, diffusersVAERules } from './layouts/diffusersVae.ts';
import type { ConfigHints } from './spec.ts';

/**
 * A diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/,
 * scheduler/) read into the canonical LDM key space plus the facts its JSON configs add.
 */
export interface DiffusersFolder {
  tensors: Map<string, TensorInfo>;
  hints: ConfigHints;
  family: 'sd1' | 'sd2';
  tokenizerDir?: string;
  warnings: string[];
}

export interface DiffusersOptions {
  /** Which weight variant to prefer when both exist; the other is the fallback. Default 'fp32'. */
  variant?: 'fp32' | 'fp16';
}

type Json = Record<string, unknown>;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** A JSON object file, undefined when absent; CHECKPOINT_CORRUPT when it is not valid JSON. */
export async function readJson(path: string): Promise<Json | undefined> {
  if (!(await exists(path))) return undefined;
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
  } catch (e) {
    throw new StudioError('CHECKPOINT_CORRUPT', `${path}: not valid JSON (${(e as Error).message})`, { file: path });
  }
}

/**
 * The safetensors files of one component: `<base>.safetensors`, `<base>.fp16.safetensors`,
 * or shards listed by `<base>.safetensors.index[.fp16].json`.
 */
export async function componentFiles(dir: string, base: string, prefer: 'fp32' | 'fp16'): Promise<string[]> {
  const full = [`${base}.safetensors`, `${base}.safetensors.index.json`];
  const half = [`${base}.fp16.safetensors`, `${base}.safetensors.index.fp16.json`];
  for (const name of prefer === 'fp16' ? [...half, ...full] : [...full, ...half]) {
    const p = join(dir, name);
    if (!(await exists(p))) continue;
    if (!name.endsWith('.json')) return [p];
    const index = await readJson(p);
    const map = index?.weight_map;
    if (typeof map !== 'object' || map === null) {
      throw new StudioError('CHECKPOINT_CORRUPT', `${p}: shard index has no weight_map`, { file: p });
    }
    return [...new Set(Object.values(map as Record<string, string>))].map((f) => join(dir, f));
  }
  const listing = await readdir(dir).catch(() => [] as string[]);
  if (listing.some((f) => /\.(bin|ckpt|pt|pth)$/.test(f))) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${dir}: only pickle weights (.bin) found; convert them to .safetensors`, {
      file: dir,
    });
  }
  throw new StudioError('CHECKPOINT_INCOMPLETE', `${dir}: no ${base}.safetensors (or fp16 / sharded variant)`, {
    file: dir,
    missing: [join(dir, `${base}.safetensors`)],
  });
}

export async function loadComponent<C>(
  dir: string,
  base: string,
  prefer: 'fp32' | 'fp16',
  rules: ReadonlyArray<RenameRule<C>>,
  context: (keys: string[]) => C,
  prefix: string,
): Promise<{ canonical: Map<string, TensorInfo>; unmatched: string[] }> {
  const all: TensorInfo[] = [];
  for (const file of await componentFiles(dir, base, prefer)) {
    all.push(...(await readSafetensorsHeader(file)).tensors.values());
  }
  const ctx = context(all.map((t) => t.name));
  const { canonical, unmatched } = renameTensors(all, rules, ctx, { passthrough: false, prefix });
  return { canonical, unmatched };
}

export async function loadDiffusersFolder(dir: string, options: DiffusersOptions = {}): Promise<DiffusersFolder> {
  const prefer = options.variant ?? 'fp32';
  const warnings: string[] = [];
  const index = await readJson(join(dir, 'model_index.json'));
  if (!index) warnings.push(`${dir}: no model_index.json; reading unet/, vae/, text_encoder/ directly`);

  const parts = await Promise.all([
    loadComponent(join(dir, 'unet'), 'diffusion_pytorch_model', prefer, diffusersUNetRules, diffusersUNetContext, 'model.diffusion_model.'),
    loadComponent(join(dir, 'vae'), 'diffusion_pytorch_model', prefer, diffusersVAERules, diffusersVAEContext, 'first_stage_model.'),
    loadComponent(join(dir, 'text_encoder'), 'model', prefer, diffusersTextRules, () => undefined, ''),
  ]).catch((e: unknown) => {
    throw toStudioError(e);
  });
  const tensors = new Map<string, TensorInfo>();
  const unmatched: string[] = [];
  for (const [i, part] of parts.entries()) {
    part.canonical.forEach((t, k) => tensors.set(k, t));
    unmatched.push(...part.unmatched.map((k) => `${['unet', 'vae', 'text_encoder'][i]}/${k}`));
  }
  if (unmatched.length > 0) {
    const shown = unmatched.slice(0, 12).join(', ') + (unmatched.length > 12 ? `, … (${unmatched.length} in all)` : '');
    warnings.push(`${unmatched.length} diffusers key(s) with no place in the SD layout were ignored: ${shown}`);
  }

  const unet = (await readJson(join(dir, 'unet', 'config.json'))) ?? {};
  const vae = (await readJson(join(dir, 'vae', 'config.json'))) ?? {};
  const text = (await readJson(join(dir, 'text_encoder', 'config.json'))) ?? {};
  const scheduler = (await readJson(join(dir, 'scheduler', 'scheduler_config.json'))) ?? {};
  const hints = hintsFromDiffusers(unet, vae, text, scheduler, join(dir, index ? 'model_index.json' : 'unet/config.json'));

  // OpenCLIP-derived text towers (SD 2.x) use exact GELU; CLIP ViT-L uses quick_gelu.
  const contextDim = unet.cross_attention_dim;
  const family = hints.textHiddenAct === 'gelu' || contextDim === 1024 ? 'sd2' : 'sd1';
  const tokenizerDir = join(dir, 'tokenizer');
  return {
    tensors,
    hints,
    family,
    ...((await exists(join(tokenizerDir, 'vocab.json'))) ? { tokenizerDir } : {}),
    warnings,
  };
}

const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);

export function hintsFromDiffusers(unet: Json, vae: Json, text: Json, scheduler: Json, source: string): ConfigHints {
  const blocks = Array.isArray(unet.block_out_channels) ? (unet.block_out_channels as number[]) : undefined;
  const vaeBlocks = Array.isArray(vae.block_out_channels) ? (vae.block_out_channels as number[]) : undefined;
  const levels = blocks?.length ?? (Array.isArray(unet.down_block_types) ? unet.down_block_types.length : 0);
  // diffusers' historic misnomer: `attention_head_dim` holds the number of heads unless
  // `num_attention_heads` is given.
  const heads = unet.num_attention_heads ?? unet.attention_head_dim;
  const unetHeadsPerLevel = Array.isArray(heads)
    ? (heads as number[])
    : typeof heads === 'number' && levels > 0
      ? Array<number>(levels).fill(heads)
      : undefined;
  const act = text.hidden_act;
  return {
    source,
    prediction: parsePrediction(scheduler.prediction_type),
    scaleFactor: num(vae.scaling_factor),
    // sample_size counts latent cells; the VAE of every SD-family model downsamples by 8.
    nativeSize: typeof unet.sample_size === 'number' ? unet.sample_size * 8 : undefined,
    ...(unetHeadsPerLevel ? { unetHeadsPerLevel } : {}),
    textNumHeads: num(text.num_attention_heads),
    textHiddenAct: act === 'gelu' || act === 'quick_gelu' ? act : undefined,
    // diffusers stores SD 2.x text encoders already truncated to the layers that are used.
    textSkipLastLayers: 0,
    declared: {
      modelChannels: blocks?.[0],
      channelMult: blocks?.map((b) => b / blocks[0]),
      numResBlocks: num(unet.layers_per_block),
      contextDim: num(unet.cross_attention_dim),
      inChannels: num(unet.in_channels),
      vaeCh: vaeBlocks?.[0],
      vaeChMult: vaeBlocks?.map((b) => b / vaeBlocks[0]),
      textHiddenSize: num(text.hidden_size),
      textNumLayers: num(text.num_hidden_layers),
    },
  };
}
