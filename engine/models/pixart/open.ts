import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError, toStudioError } from '../../api/errors.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import type { SafetensorsDType, TensorInfo } from '../../safetensors/types.ts';
import { unexpectedWarning } from '../completeness.ts';
import { weightDType } from '../families/dtype.ts';
import { renameTensors } from '../keyRules.ts';
import { PIXART_DIFFUSERS_FINGERPRINT, PIXART_ORIGINAL_FINGERPRINT, pixartOriginalRules } from '../layouts/pixartOriginal.ts';
import { WeightStore } from '../weightStore.ts';
import { type PixArtConfig, type PixArtHints, detectPixArt } from './config.ts';
import { findPixArtHintsBeside, loadPixArtHints } from './configFile.ts';

export type PixArtLayout = 'pixart-original' | 'diffusers';

/** A PixArt transformer as detection hands it to the builder: dimensions plus canonical weights. */
export interface PixArtSpec {
  family: 'pixart';
  layout: PixArtLayout;
  files: string[];
  configFile?: string;
  /** Canonical (diffusers `transformer/`) names → tensor byte ranges. */
  weights: WeightStore;
  weightDType: SafetensorsDType | 'mixed';
  config: PixArtConfig;
  unexpectedKeys: string[];
  warnings: string[];
}

export interface OpenPixArtOptions {
  /** A config file for what shapes cannot tell; wins over one found beside the weights. */
  configPath?: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);
const DIFFUSERS_WEIGHTS = ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors'];
const DIFFUSERS_INDEX = 'diffusion_pytorch_model.safetensors.index.json';

/**
 * Opens a PixArt transformer from headers and config files alone: an original-layout single
 * file, or a diffusers `transformer/` folder (or the pipeline folder holding one).
 */
export async function openPixArt(path: string, options: OpenPixArtOptions = {}): Promise<PixArtSpec> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw toStudioError(e);
  }
  const explicit = options.configPath ? await loadPixArtHints(options.configPath) : undefined;
  if (!isDir) {
    const header = await readSafetensorsHeader(path);
    return pixartFromTensors(path, header.tensors, explicit ?? (await findPixArtHintsBeside(path)));
  }
  const dir = (await exists(join(path, 'transformer'))) ? join(path, 'transformer') : path;
  const tensors = await folderTensors(dir);
  const beside = (await exists(join(dir, 'config.json'))) ? await loadPixArtHints(join(dir, 'config.json')) : undefined;
  return pixartFromTensors(dir, tensors, explicit ?? beside);
}

async function folderTensors(dir: string): Promise<Map<string, TensorInfo>> {
  for (const name of DIFFUSERS_WEIGHTS) {
    if (await exists(join(dir, name))) return (await readSafetensorsHeader(join(dir, name))).tensors;
  }
  if (await exists(join(dir, DIFFUSERS_INDEX))) {
    const index = JSON.parse(await readFile(join(dir, DIFFUSERS_INDEX), 'utf8')) as { weight_map?: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))];
    const all = new Map<string, TensorInfo>();
    for (const shard of shards) for (const [k, t] of (await readSafetensorsHeader(join(dir, shard))).tensors) all.set(k, t);
    return all;
  }
  throw new StudioError('CHECKPOINT_INCOMPLETE', `${dir}: no ${DIFFUSERS_WEIGHTS[0]} (or its index) in this transformer folder`, { file: dir, missing: [DIFFUSERS_WEIGHTS[0]] });
}

/** True when a safetensors key set is a PixArt transformer in either layout (for the model list). */
export function isPixArtTensors(tensors: ReadonlyMap<string, TensorInfo>): boolean {
  return tensors.has(PIXART_ORIGINAL_FINGERPRINT) || (tensors.has(PIXART_DIFFUSERS_FINGERPRINT) && tensors.has('caption_projection.linear_1.weight'));
}

/** Detection over a key set in either layout; `label` names it in errors. */
export function pixartFromTensors(label: string, tensors: ReadonlyMap<string, TensorInfo>, hints?: PixArtHints): PixArtSpec {
  let layout: PixArtLayout;
  let canonical: Map<string, TensorInfo>;
  const basePos = tensors.get('pos_embed');
  if (tensors.has(PIXART_ORIGINAL_FINGERPRINT)) {
    layout = 'pixart-original';
    ({ canonical } = renameTensors(tensors.values(), pixartOriginalRules, undefined, { passthrough: true }));
  } else if (tensors.has(PIXART_DIFFUSERS_FINGERPRINT)) {
    layout = 'diffusers';
    canonical = new Map(tensors);
  } else {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: not a PixArt transformer (neither ${PIXART_ORIGINAL_FINGERPRINT} nor ${PIXART_DIFFUSERS_FINGERPRINT} is present)`, { file: label });
  }
  const basePosTokens = basePos && basePos.shape.length === 3 ? basePos.shape[1] : undefined;
  const { config, unexpected, warnings } = detectPixArt(label, canonical, hints, layout === 'pixart-original' ? basePosTokens : undefined);
  return {
    family: 'pixart',
    layout,
    files: [...new Set([...canonical.values()].map((t) => t.file))],
    ...(hints?.source ? { configFile: hints.source } : {}),
    weights: WeightStore.from(canonical, label),
    weightDType: weightDType(canonical.values()),
    config,
    unexpectedKeys: unexpected,
    warnings: [...warnings, ...unexpectedWarning(unexpected)],
  };
}
