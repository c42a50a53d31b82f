import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';
import { readSafetensorsHeader } from '../safetensors/header.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import { findConfigBeside, loadConfigHints } from './configHints.ts';
import { loadDiffusersFolder, type DiffusersOptions } from './diffusersFolder.ts';
import { assembleStableDiffusion, type LdmFamilyRecord } from './families/ldmFamily.ts';
import { sd1 } from './families/sd1.ts';
import { sd2 } from './families/sd2.ts';
import { SDXL_FAMILIES, type SDXLFamilyRecord, sdxlBase } from './families/sdxl.ts';
import { assembleSDXL } from './families/sdxlAssemble.ts';
import { detectSDXLFolder, isSDXLFolder } from './families/sdxlDiffusers.ts';
import { TAESD_FINGERPRINTS, assembleTaesd, canonicalTaesd, taesdFileRole } from './families/taesd.ts';
import { renameTensors } from './keyRules.ts';
import { isPixArtTensors } from './pixart/open.ts';
import { detectPixArtPipeline, isPixArtFolder, type PixArtPipelineOptions } from './pixart/pipeline.ts';
import type { ConfigHints, ModelSpec, TAESDSpec } from './spec.ts';

export interface DetectOptions extends DiffusersOptions, Pick<PixArtPipelineOptions, 'vaePath' | 'textEncoderPath'> {
  /** A config (studio JSON or LDM .yaml/.json) for what shapes cannot tell; wins over one found beside the file. */
  configPath?: string;
  /** Look for `<name>.yaml|.json` or a recognisable config.json beside a single file. Default true. */
  findConfig?: boolean;
  /** Load the other half of a TAESD encoder/decoder pair when it sits beside the file. Default true. */
  pairTaesd?: boolean;
}

/** Stable Diffusion families in the order their fingerprints are tried (most specific first). */
const LDM_FAMILIES: LdmFamilyRecord[] = [sd2, sd1];
const UNET_PREFIX = 'model.diffusion_model.';

const hasPrefix = (tensors: ReadonlyMap<string, TensorInfo>, prefix: string) => {
  for (const k of tensors.keys()) if (k.startsWith(prefix)) return true;
  return false;
};

/**
 * Identifies a checkpoint from headers and config files alone — no tensor data is read —
 * and returns its family, every dimension, and a canonical WeightStore.
 * `path` is a .safetensors file (LDM single file or a TAESD half) or a folder
 * (diffusers pipeline or AutoencoderTiny).
 */
export async function detectModel(path: string, options: DetectOptions = {}): Promise<ModelSpec> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw toStudioError(e);
  }
  // A DiT reads its own config facts (heads, PE scale), so it is routed before SD's hints are parsed.
  if (isDir && (await isPixArtFolder(path))) return detectPixArtPipeline(path, options);
  if (isDir) return detectFolder(path, options.configPath ? await loadConfigHints(options.configPath) : undefined, options);

  if (/^\.(ckpt|pt|pth|bin|pkl)$/i.test(extname(path))) {
    throw new StudioError('CHECKPOINT_UNSUPPORTED', `${path}: pickle checkpoints are not loaded (they can run code); use a .safetensors file`, {
      file: path,
    });
  }
  const header = await readSafetensorsHeader(path);
  if (isPixArtTensors(header.tensors)) return detectPixArtPipeline(path, options);
  const explicit = options.configPath ? await loadConfigHints(options.configPath) : undefined;
  const hints = explicit ?? (options.findConfig === false ? undefined : await findConfigBeside(path));
  if (hasPrefix(header.tensors, UNET_PREFIX)) return detectLdm(path, header.tensors, hints);
  const role = taesdFileRole(header.tensors);
  if (role) return detectTaesdFile(path, header.tensors, role, options.pairTaesd !== false);
  throw unsupportedFile(path, header.tensors);
}

/** Detection over an in-memory key set (e.g. a header from elsewhere); `label` names it in errors. */
export function detectLdm(label: string, tensors: ReadonlyMap<string, TensorInfo>, hints?: ConfigHints): ModelSpec {
  const warnings: string[] = [];
  const xl = sdxlRecordFor(tensors, hints);
  if (xl) {
    const { canonical } = renameTensors(tensors.values(), xl.singleFileRules, undefined, { passthrough: true });
    return assembleSDXL(xl, { label, layout: 'ldm-single-file', tensors: canonical, hints, warnings });
  }
  let record = LDM_FAMILIES.find((f) => f.fingerprint.every((p) => hasPrefix(tensors, p)));
  if (!record) {
    // A UNet without a recognisable text tower: let the config or context width decide,
    // and the completeness check will list what is missing.
    const toK = [...tensors.keys()].find((k) => k.startsWith('model.diffusion_model.') && k.endsWith('.attn2.to_k.weight'));
    const wide = toK !== undefined && tensors.get(toK)!.shape[1] === 1024;
    record = (hints?.family ?? (wide ? 'sd2' : 'sd1')) === 'sd2' ? sd2 : sd1;
  } else if (hints?.family && hints.family !== record.family) {
    warnings.push(`${hints.source}: describes an ${hints.family} model but the weights are ${record.family}; using ${record.family}`);
  }
  const { canonical } = renameTensors(tensors.values(), record.singleFileRules, undefined, { passthrough: true });
  return assembleStableDiffusion(record, { label, layout: 'ldm-single-file', tensors: canonical, hints, warnings });
}

/**
 * SDXL by its text towers (`conditioner.embedders.*`), or — for a UNet alone — by its
 * `label_emb`, so a file missing a whole tower is reported as an incomplete SDXL file.
 */
function sdxlRecordFor(tensors: ReadonlyMap<string, TensorInfo>, hints?: ConfigHints): SDXLFamilyRecord | undefined {
  const found = SDXL_FAMILIES.find((f) => f.fingerprint.every((p) => hasPrefix(tensors, p)));
  if (found) return found;
  if (LDM_FAMILIES.some((f) => f.fingerprint.every((p) => hasPrefix(tensors, p)))) return undefined;
  const vector = tensors.has(`${UNET_PREFIX}label_emb.0.0.weight`) || hasPrefix(tensors, 'conditioner.embedders.');
  return vector || hints?.family === 'sdxl' ? sdxlBase : undefined;
}

async function detectFolder(dir: string, explicit: ConfigHints | undefined, options: DetectOptions): Promise<ModelSpec> {
  const has = (p: string) =>
    access(join(dir, p)).then(
      () => true,
      () => false,
    );
  if (await has('config.json')) {
    const config = await readFile(join(dir, 'config.json'), 'utf8')
      .then((t) => JSON.parse(t) as { _class_name?: unknown })
      .catch(() => ({ _class_name: undefined }));
    if (config._class_name === 'AutoencoderTiny') return detectTaesdFolder(dir);
  }
  if (!(await has('model_index.json')) && !(await has('unet'))) {
    throw new StudioError(
      'CHECKPOINT_UNSUPPORTED',
      `${dir}: folder is neither a diffusers pipeline (model_index.json, unet/, vae/, text_encoder/) nor an AutoencoderTiny (config.json)`,
      { file: dir },
    );
  }
  if (await isSDXLFolder(dir)) return detectSDXLFolder(dir, explicit, options);
  const folder = await loadDiffusersFolder(dir, options);
  // An explicit config overrides individual facts; diffusers' own configs fill the rest.
  const hints: ConfigHints = explicit ? { ...folder.hints, ...defined(explicit) } : folder.hints;
  const record = (explicit?.family ?? folder.family) === 'sd2' ? sd2 : sd1;
  return assembleStableDiffusion(record, {
    label: dir,
    layout: 'diffusers',
    tensors: folder.tensors,
    hints,
    warnings: folder.warnings,
    ...(folder.tokenizerDir ? { tokenizerDir: folder.tokenizerDir } : {}),
  });
}

async function detectTaesdFile(
  path: string,
  tensors: ReadonlyMap<string, TensorInfo>,
  role: NonNullable<ReturnType<typeof taesdFileRole>>,
  pair: boolean,
): Promise<TAESDSpec> {
  const { canonical, unmatched } = canonicalTaesd(tensors.values(), role);
  const warnings = unmatched.length ? [`${unmatched.length} key(s) outside the TAESD layout ignored: ${unmatched.slice(0, 12).join(', ')}`] : [];
  if (pair && (role === 'encoder' || role === 'decoder')) {
    const other = role === 'encoder' ? 'decoder' : 'encoder';
    const name = basename(path);
    const at = name.lastIndexOf(role);
    const sibling = at >= 0 ? join(dirname(path), name.slice(0, at) + other + name.slice(at + role.length)) : undefined;
    if (sibling && (await access(sibling).then(() => true, () => false))) {
      const h = await readSafetensorsHeader(sibling);
      if (taesdFileRole(h.tensors) === other) {
        canonicalTaesd(h.tensors.values(), other).canonical.forEach((t, k) => canonical.set(k, t));
      } else {
        warnings.push(`${sibling}: not a TAESD ${other}; loaded ${role} only`);
      }
    }
  }
  return assembleTaesd({ label: path, layout: 'taesd', tensors: canonical, warnings });
}

async function detectTaesdFolder(dir: string): Promise<TAESDSpec> {
  const path = join(dir, 'diffusion_pytorch_model.safetensors');
  const header = await readSafetensorsHeader(path);
  const { canonical } = canonicalTaesd(header.tensors.values(), 'diffusers');
  return assembleTaesd({ label: dir, layout: 'diffusers-taesd', tensors: canonical });
}

function unsupportedFile(path: string, tensors: ReadonlyMap<string, TensorInfo>): StudioError {
  const keys = [...tensors.keys()];
  const diffusersPart = keys.some((k) => /^(down_blocks|mid_block|up_blocks|encoder\.down_blocks|text_model)\./.test(k));
  const lookedFor = [
    ...[...SDXL_FAMILIES, ...LDM_FAMILIES].map((f) => `${f.description}: ${f.fingerprint.map((p) => `${p}*`).join(' + ')}`),
    ...TAESD_FINGERPRINTS.map((f) => `TAESD ${f}`),
    'PixArt: t_block.1.weight (original) or adaln_single.linear.weight + caption_projection.* (diffusers)',
    'diffusers: a folder with model_index.json',
  ];
  const hint = diffusersPart ? ' This looks like one component of a diffusers pipeline: pass the pipeline folder.' : '';
  return new StudioError(
    'CHECKPOINT_UNSUPPORTED',
    `${path}: no known model family matches its ${keys.length} tensors (first: ${keys.slice(0, 3).join(', ') || 'none'}). Looked for — ${lookedFor.join('; ')}.${hint}`,
    { file: path, lookedFor },
  );
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
