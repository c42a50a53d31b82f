import { access, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StudioError, toStudioError } from '../api/errors.ts';
import type { ConfigHints, Prediction } from './spec.ts';

/**
 * Config files that supply what tensor shapes cannot: attention heads, prediction type,
 * scale factor, text activation and output layer. Two formats are understood:
 *  - the studio's JSON (LDM parameter names grouped as `unet`, `vae`, `text_encoder`,
 *    e.g. ../shared/golden/sd15-tiny/config.json);
 *  - an LDM inference config (`model.params.unet_config.params…`), as .yaml or .json.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pos = (v: unknown): number | undefined => (num(v) !== undefined && (v as number) > 0 ? (v as number) : undefined);
const nums = (v: unknown): number[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;

export function parsePrediction(v: unknown): Prediction | undefined {
  if (v === 'eps' || v === 'epsilon') return 'eps';
  if (v === 'v' || v === 'v_prediction') return 'v';
  return undefined;
}

function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** Hints from a parsed config object, or undefined when it is in neither known format. */
export function hintsFromConfig(config: unknown, source: string): ConfigHints | undefined {
  if (!isObj(config)) return undefined;
  let top: Obj;
  let unet: Obj;
  let vae: Obj;
  let text: Obj;
  let cond: Obj = {};
  const ldm = obj(obj(config.model).params);
  // sgm (SDXL) inference configs name the UNet `network_config`.
  const network = isObj(ldm.unet_config) ? ldm.unet_config : isObj(ldm.network_config) ? ldm.network_config : undefined;
  if (network) {
    top = ldm;
    unet = obj(network.params);
    vae = obj(obj(obj(ldm.first_stage_config).params).ddconfig);
    cond = obj(ldm.cond_stage_config);
    text = {};
  } else if (isObj(config.unet) || isObj(config.text_encoder)) {
    top = config;
    unet = obj(config.unet);
    vae = obj(config.vae);
    text = obj(config.text_encoder);
    cond = obj(config.cond_stage_config);
  } else {
    return undefined;
  }

  const hints: ConfigHints = {
    source,
    prediction: parsePrediction(top.parameterization),
    scaleFactor: pos(top.scale_factor),
    nativeSize: pos(Array.isArray(top.native_resolution) ? top.native_resolution[0] : top.native_resolution),
    guidanceScale: pos(top.guidance_scale),
    unetNumHeads: pos(unet.num_heads),
    unetNumHeadChannels: pos(unet.num_head_channels), // LDM uses -1 for "not set"
    textNumHeads: pos(text.num_attention_heads),
    textHiddenAct: text.hidden_act === 'gelu' || text.hidden_act === 'quick_gelu' ? text.hidden_act : undefined,
    declared: {
      modelChannels: pos(unet.model_channels),
      channelMult: nums(unet.channel_mult),
      numResBlocks: pos(unet.num_res_blocks),
      contextDim: pos(unet.context_dim),
      transformerDepth: pos(unet.transformer_depth),
      inChannels: pos(unet.in_channels),
      vaeCh: pos(vae.ch),
      vaeChMult: nums(vae.ch_mult),
      textHiddenSize: pos(text.hidden_size),
      textNumLayers: pos(text.num_hidden_layers),
    },
  };
  // The conditioning module names the text tower: OpenCLIP means SD 2.x conventions.
  const target = typeof cond.target === 'string' ? cond.target : '';
  if (target.includes('OpenCLIP')) {
    hints.family = 'sd2';
    hints.textHiddenAct = hints.textHiddenAct ?? 'gelu';
  } else if (target.includes('CLIP')) {
    hints.family = 'sd1';
  }
  // SDXL: the studio JSON's `conditioner` section, or an sgm config (network_config + conditioner_config).
  const embedders = obj(config.conditioner);
  const l = pos(obj(embedders['embedders.0']).num_attention_heads);
  const g = pos(obj(embedders['embedders.1']).heads);
  if (l !== undefined || g !== undefined) hints.sdxlTextHeads = { ...(l ? { clipL: l } : {}), ...(g ? { clipG: g } : {}) };
  if (hints.sdxlTextHeads || isObj(ldm.conditioner_config) || isObj(ldm.network_config)) hints.family = 'sdxl';
  const layer = obj(cond.params).layer;
  if (layer === 'penultimate') hints.textSkipLastLayers = 1;
  else if (layer === 'last') hints.textSkipLastLayers = 0;
  return hints;
}

/** Reads and parses a config file (YAML by its extension, JSON otherwise); malformed ones are CHECKPOINT_CORRUPT. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw toStudioError(e);
  }
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new StudioError('CHECKPOINT_CORRUPT', `${path}: config is not valid ${extname(path).slice(1) || 'JSON'}: ${(e as Error).message}`, {
      file: path,
    });
  }
}

/** Reads an explicitly named config; a config in no known format is CHECKPOINT_UNSUPPORTED. */
export async function loadConfigHints(path: string): Promise<ConfigHints> {
  const hints = hintsFromConfig(await readConfigFile(path), path);
  if (!hints) {
    throw new StudioError(
      'CHECKPOINT_UNSUPPORTED',
      `${path}: not a model config (expected model.params.unet_config… or unet / text_encoder sections)`,
      { file: path },
    );
  }
  return hints;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/**
 * A config beside a single-file checkpoint: `<name>.yaml|.yml|.json`, trying the name with
 * each dotted suffix removed (`sd15-tiny.f32.safetensors` → `sd15-tiny.f32.*`,
 * `sd15-tiny.*`), then `config.json` / `config.yaml` in the same folder. Files in no known
 * format are skipped rather than fatal: UIs keep their own `<name>.json` notes beside
 * checkpoints, and folders often hold unrelated config.json files.
 */
export async function findConfigBeside(checkpoint: string): Promise<ConfigHints | undefined> {
  for (const p of configCandidatesBeside(checkpoint)) {
    if (!(await exists(p))) continue;
    const hints = await loadConfigHints(p).catch(() => undefined);
    if (hints) return hints;
  }
  return undefined;
}

/** The config files that may sit beside a single-file checkpoint, in the order they are tried. */
export function configCandidatesBeside(checkpoint: string): string[] {
  const dir = dirname(checkpoint);
  let stem = basename(checkpoint).replace(/\.safetensors$/i, '');
  const stems: string[] = [];
  for (;;) {
    stems.push(stem);
    const dot = stem.lastIndexOf('.');
    if (dot <= 0) break;
    stem = stem.slice(0, dot);
  }
  return [
    ...stems.flatMap((s) => ['.yaml', '.yml', '.json'].map((ext) => join(dir, s + ext))),
    join(dir, 'config.json'),
    join(dir, 'config.yaml'),
  ];
}
