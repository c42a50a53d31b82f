import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { StudioError, toStudioError } from '../../api/errors.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import type { SafetensorsDType, TensorInfo } from '../../safetensors/types.ts';
import { checkCompleteness, unexpectedWarning } from '../completeness.ts';
import { componentFiles } from '../diffusersFolder.ts';
import { WeightStore } from '../weightStore.ts';
import { type HfT5Config, type T5Spec, expectedT5Weights, t5ConfigFromShapes } from './config.ts';

/** The key every T5 encoder has, whatever prefix a container puts in front (SD3: `text_encoders.t5xxl.transformer.`). */
const ANCHOR = 'encoder.block.0.layer.0.SelfAttention.q.weight';
const FLOAT_DTYPES: ReadonlySet<SafetensorsDType> = new Set(['F32', 'F16', 'BF16']);
/** Present in some files but not read: the tied embedding copy, a decoder, the LM head. */
const KNOWN_EXTRAS = [/^encoder\.embed_tokens\.weight$/, /^decoder\./, /^lm_head\./];
/** UMT5 gives every block its own position bias; T5 shares block 0's. */
const LATER_BIAS = /^encoder\.block\.([1-9]\d*)\.layer\.0\.SelfAttention\.relative_attention_bias\.weight$/;

export interface DetectT5Options {
  /** transformers config.json for a single file (a folder's own config.json is read anyway). */
  configPath?: string;
  /** Which weights of a folder to prefer when both exist. Default 'fp32'. */
  variant?: 'fp32' | 'fp16';
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** True when a header holds a T5 encoder (under any prefix): what the lead's detection can route on. */
export function looksLikeT5Encoder(tensors: ReadonlyMap<string, TensorInfo>): boolean {
  for (const k of tensors.keys()) if (k.endsWith(ANCHOR) && (k === ANCHOR || k.endsWith(`.${ANCHOR}`))) return true;
  return false;
}

interface Source {
  layout: T5Spec['layout'];
  path: string;
  files: string[];
  hf: HfT5Config;
  configFile?: string;
  tokenizerFile?: string;
}

/**
 * A T5 encoder from its tensors (headers only): canonical `T5EncoderModel` names, every
 * dimension from the shapes, completeness against the key set they imply. Missing keys are
 * CHECKPOINT_INCOMPLETE, wrong shapes SHAPE_MISMATCH, non-float or fp8 weights
 * CHECKPOINT_UNSUPPORTED — each naming the tensors.
 */
export function t5FromTensors(label: string, tensors: ReadonlyMap<string, TensorInfo>, source: Source): T5Spec {
  const warnings: string[] = [];
  const anchors = [...tensors.keys()].filter((k) => k === ANCHOR || k.endsWith(`.${ANCHOR}`));
  if (anchors.length === 0) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: not a T5 encoder (no ${ANCHOR} under any prefix; ${tensors.size} tensors, first: ${[...tensors.keys()].slice(0, 3).join(', ') || 'none'})`, {
      file: label, lookedFor: [ANCHOR],
    });
  }
  const prefix = anchors[0].slice(0, -ANCHOR.length);
  if (anchors.length > 1) warnings.push(`${label}: ${anchors.length} T5 encoders in one file; using the one under "${prefix}"`);
  const canonical = new Map<string, TensorInfo>();
  let outside = 0;
  for (const info of tensors.values()) {
    if (!info.name.startsWith(prefix)) {
      outside++;
      continue;
    }
    const name = info.name.slice(prefix.length);
    canonical.set(name, name === info.name ? info : { ...info, name, sourceName: info.sourceName ?? info.name });
  }
  // The embedding is tied: files carry `shared.weight`, `encoder.embed_tokens.weight` or both.
  const embed = canonical.get('encoder.embed_tokens.weight');
  if (!canonical.has('shared.weight') && embed) canonical.set('shared.weight', { ...embed, name: 'shared.weight', sourceName: embed.sourceName ?? embed.name });
  if (outside > 0) warnings.push(`${label}: ${outside} tensor(s) outside the T5 encoder ignored`);

  const perBlock = [...canonical.keys()].filter((k) => LATER_BIAS.test(k));
  if (perBlock.length) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: blocks other than 0 carry their own relative_attention_bias (${perBlock[0]}…): this is UMT5-style, not T5 v1.1, whose blocks share block 0's`, {
      file: label, tensors: perBlock,
    });
  }
  const weights = WeightStore.from(canonical, label);
  const config = t5ConfigFromShapes(weights, source.hf, label, warnings);
  const { unexpected } = checkCompleteness(label, canonical, expectedT5Weights(config), KNOWN_EXTRAS);
  warnings.push(...unexpectedWarning(unexpected));

  const expected = [...expectedT5Weights(config).keys()].map((k) => canonical.get(k)!);
  const odd = expected.filter((t) => !FLOAT_DTYPES.has(t.dtype));
  if (odd.length) {
    const kinds = [...new Set(odd.map((t) => t.dtype))].join(', ');
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: ${odd.length} T5 weight(s) are ${kinds} (e.g. ${odd[0].sourceName ?? odd[0].name}); only F32, F16 and BF16 files are read — use the fp16 or fp32 T5 file`, {
      file: label, tensors: odd.map((t) => t.sourceName ?? t.name),
    });
  }
  const dtypes = new Set(expected.map((t) => t.dtype));
  return {
    kind: 't5-encoder',
    layout: source.layout,
    path: source.path,
    files: source.files,
    ...(source.configFile ? { configFile: source.configFile } : {}),
    weights,
    weightDType: dtypes.size === 1 ? [...dtypes][0] : 'mixed',
    config,
    ...(source.tokenizerFile ? { tokenizerFile: source.tokenizerFile } : {}),
    unexpectedKeys: unexpected,
    warnings,
  };
}

async function readHfConfig(path: string): Promise<HfT5Config> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as HfT5Config;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StudioError('NOT_FOUND', `T5 config not found: ${path}`, { path });
    throw new StudioError('CHECKPOINT_CORRUPT', `${path}: not a valid config.json (${(e as Error).message})`, { file: path });
  }
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (await exists(p)) return p;
  return undefined;
}

/**
 * A T5 encoder as users hold it: a transformers `text_encoder/` folder (config.json +
 * `model.safetensors`, `model.fp16.safetensors` or shards with their index), the pipeline
 * folder around it (PixArt's, with `tokenizer/spiece.model`), or a single file such as
 * `t5xxl_fp16.safetensors` (its tokenizer: a `spiece.model` beside it, else the bundled one).
 */
export async function detectT5(path: string, options: DetectT5Options = {}): Promise<T5Spec> {
  const isDir = await stat(path).then((s) => s.isDirectory(), (e: unknown) => Promise.reject(toStudioError(e)));
  if (!isDir) return detectT5File(path, options);
  const dir = (await exists(join(path, 'text_encoder'))) ? join(path, 'text_encoder') : path;
  const files = await componentFiles(dir, 'model', options.variant ?? 'fp32');
  const absent = [];
  for (const f of files) if (!(await exists(f))) absent.push(f);
  if (absent.length) {
    throw new StudioError('CHECKPOINT_INCOMPLETE', `${dir}: the shard index names ${absent.length} file(s) that are not there: ${absent.map((f) => basename(f)).join(', ')}`, { file: dir, missing: absent });
  }
  const tensors = new Map<string, TensorInfo>();
  for (const f of files) {
    for (const [k, info] of (await readSafetensorsHeader(f)).tensors) {
      if (tensors.has(k)) throw new StudioError('CHECKPOINT_CORRUPT', `${dir}: tensor ${k} is in two shards (${basename(tensors.get(k)!.file)}, ${basename(f)})`, { file: dir, tensor: k });
      tensors.set(k, info);
    }
  }
  const configFile = options.configPath ?? (await firstExisting([join(dir, 'config.json')]));
  const tokenizerFile = await firstExisting([join(dirname(dir), 'tokenizer', 'spiece.model'), join(dir, 'spiece.model')]);
  return t5FromTensors(dir, tensors, {
    layout: 'transformers-folder', path, files,
    hf: configFile ? await readHfConfig(configFile) : {},
    ...(configFile ? { configFile } : {}),
    ...(tokenizerFile ? { tokenizerFile } : {}),
  });
}

async function detectT5File(path: string, options: DetectT5Options): Promise<T5Spec> {
  if (/^\.(ckpt|pt|pth|bin|pkl)$/i.test(extname(path))) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path}: pickle checkpoints are not loaded (they can run code); use a .safetensors file`, { file: path });
  }
  const header = await readSafetensorsHeader(path);
  let configFile = options.configPath;
  // A model.safetensors taken out of a text_encoder/ folder still has its config.json beside it.
  const beside = join(dirname(path), 'config.json');
  if (!configFile && (await exists(beside))) {
    const hf = await readHfConfig(beside).catch(() => undefined) as (HfT5Config & { model_type?: unknown }) | undefined;
    if (hf?.model_type === 't5') configFile = beside;
  }
  const tokenizerFile = await firstExisting([join(dirname(path), 'spiece.model')]);
  return t5FromTensors(path, header.tensors, {
    layout: 'single-file', path, files: [path],
    hf: configFile ? await readHfConfig(configFile) : {},
    ...(configFile ? { configFile } : {}),
    ...(tokenizerFile ? { tokenizerFile } : {}),
  });
}
