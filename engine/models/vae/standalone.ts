import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError, toStudioError } from '../../api/errors.ts';
import { readSafetensorsHeader } from '../../safetensors/header.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import { checkCompleteness } from '../completeness.ts';
import { componentFiles } from '../diffusersFolder.ts';
import { renameTensors } from '../keyRules.ts';
import { diffusersVAEContext, diffusersVAERules } from '../layouts/diffusersVae.ts';
import { detectVAEConfig, expectedVAETensors } from './shapes.ts';
import type { VAEConfig } from '../spec.ts';
import { WeightStore } from '../weightStore.ts';

/** The LDM prefix the VAE builders read from; a standalone VAE is put under it. */
const VAE_PREFIX = 'first_stage_model.';

/** A KL autoencoder found on its own: a diffusers `vae/` folder or one .safetensors file. */
export interface StandaloneVAE {
  /** Canonical tensors under `first_stage_model.`. */
  tensors: Map<string, TensorInfo>;
  config: VAEConfig;
  /** diffusers `scaling_factor` from the folder's config.json, when it names one. */
  scaleFactor?: number;
  source: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * Puts any of the VAE layouts people hold under the canonical LDM names: diffusers
 * (`encoder.down_blocks.…`), a bare LDM VAE (`encoder.down.…`, as `vae-ft-mse-840000`
 * ships) or a whole SD checkpoint (its `first_stage_model.…`).
 */
function canonicalVae(label: string, tensors: ReadonlyMap<string, TensorInfo>): Map<string, TensorInfo> {
  const keys = [...tensors.keys()];
  if (keys.some((k) => k.startsWith(VAE_PREFIX))) {
    return new Map([...tensors].filter(([k]) => k.startsWith(VAE_PREFIX)));
  }
  if (keys.some((k) => k.startsWith('encoder.down_blocks.') || k.startsWith('decoder.up_blocks.'))) {
    return renameTensors(tensors.values(), diffusersVAERules, diffusersVAEContext(keys), { passthrough: false, prefix: VAE_PREFIX }).canonical;
  }
  if (keys.some((k) => k.startsWith('encoder.down.') || k.startsWith('decoder.up.'))) {
    const out = new Map<string, TensorInfo>();
    for (const info of tensors.values()) {
      const name = VAE_PREFIX + info.name;
      out.set(name, { ...info, name, sourceName: info.sourceName ?? info.name });
    }
    return out;
  }
  throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: not a KL autoencoder (VAE): no encoder.down_blocks.*, encoder.down.* or first_stage_model.* tensors`, { file: label });
}

/** Reads a VAE from headers (and config.json) alone, with the completeness check naming what is missing. */
export async function loadStandaloneVae(path: string, prefer: 'fp32' | 'fp16' = 'fp32'): Promise<StandaloneVAE> {
  const isDir = await stat(path).then((s) => s.isDirectory(), (e: unknown) => Promise.reject(toStudioError(e)));
  const tensors = new Map<string, TensorInfo>();
  let scaleFactor: number | undefined;
  if (isDir) {
    for (const f of await componentFiles(path, 'diffusion_pytorch_model', prefer)) {
      for (const [k, t] of (await readSafetensorsHeader(f)).tensors) tensors.set(k, t);
    }
    const configPath = join(path, 'config.json');
    if (await exists(configPath)) {
      const config = JSON.parse(await readFile(configPath, 'utf8')) as { scaling_factor?: unknown };
      if (typeof config.scaling_factor === 'number' && config.scaling_factor > 0) scaleFactor = config.scaling_factor;
    }
  } else {
    for (const [k, t] of (await readSafetensorsHeader(path)).tensors) tensors.set(k, t);
  }
  const canonical = canonicalVae(path, tensors);
  const store = WeightStore.from(canonical, path);
  let config: VAEConfig;
  try {
    config = detectVAEConfig(store.scope('first_stage_model'));
  } catch (e) {
    const err = toStudioError(e);
    throw new StudioError(err.code, `VAE ${path}: ${err.message}`, { ...err.details, file: path });
  }
  const expected = new Map([...expectedVAETensors(config)].map(([k, s]) => [VAE_PREFIX + k, s]));
  checkCompleteness(`VAE ${path}`, canonical, expected, [/./]);
  return { tensors: canonical, config, ...(scaleFactor ? { scaleFactor } : {}), source: path };
}
