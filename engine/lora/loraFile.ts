import { basename, extname } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { readFloat32, readSafetensorsHeader } from '../safetensors/index.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/** The layouts a LoRA file's tensors come in. */
export type LoraFormat = 'kohya' | 'peft' | 'lycoris';

/** One adapted module of a LoRA file, in its own naming, with the tensors of its kind. */
export type LoraModule =
  | { readonly kind: 'lora'; readonly name: string; readonly down: TensorInfo; readonly up: TensorInfo; readonly rank: number; readonly alpha: number }
  | { readonly kind: 'loha'; readonly name: string; readonly w1a: TensorInfo; readonly w1b: TensorInfo; readonly w2a: TensorInfo; readonly w2b: TensorInfo; readonly rank: number; readonly alpha: number }
  | {
    readonly kind: 'lokr'; readonly name: string; readonly rank: number; readonly alpha: number;
    /** Each Kronecker factor is one full matrix or a low-rank pair. */
    readonly w1: TensorInfo | readonly [TensorInfo, TensorInfo];
    readonly w2: TensorInfo | readonly [TensorInfo, TensorInfo];
  };

export interface LoraFile {
  readonly path: string;
  /** File stem: the name `<lora:NAME:…>` uses. */
  readonly name: string;
  readonly format: LoraFormat;
  readonly modules: ReadonlyMap<string, LoraModule>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fileSize: number;
  /** Offset of the tensor data (what A1111's LoRA hash covers). */
  readonly dataStart: number;
}

/** The per-module tensor suffixes each format writes, and which part they are. */
const SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['.lora_down.weight', 'down'], ['.lora_up.weight', 'up'],
  ['.lora_A.weight', 'down'], ['.lora_B.weight', 'up'],
  ['.lora.down.weight', 'down'], ['.lora.up.weight', 'up'],
  ['.hada_w1_a', 'w1a'], ['.hada_w1_b', 'w1b'], ['.hada_w2_a', 'w2a'], ['.hada_w2_b', 'w2b'],
  ['.lokr_w1', 'k1'], ['.lokr_w1_a', 'k1a'], ['.lokr_w1_b', 'k1b'],
  ['.lokr_w2', 'k2'], ['.lokr_w2_a', 'k2a'], ['.lokr_w2_b', 'k2b'],
  ['.alpha', 'alpha'],
];
/** Parts with no run-time form here, refused by name rather than silently dropped. */
const UNSUPPORTED: ReadonlyArray<readonly [string, string]> = [
  ['.dora_scale', 'DoRA magnitude vectors'], ['.lora_magnitude_vector', 'DoRA magnitude vectors'],
  ['.hada_t1', 'Tucker-decomposed LoHa cores'], ['.lokr_t2', 'Tucker-decomposed LoKr cores'], ['.lora_mid.weight', 'Tucker-decomposed LoCon cores'],
];

const unreadable = (path: string, why: string, details: Record<string, unknown> = {}) =>
  new StudioError('CHECKPOINT_CORRUPT', `${basename(path)} is not a LoRA file this studio can read: ${why}`, { file: path, ...details });

/** Reads the header (and the small alpha scalars) of a LoRA file and groups its tensors by module. */
export async function readLoraFile(path: string): Promise<LoraFile> {
  const header = await readSafetensorsHeader(path);
  const parts = new Map<string, Map<string, TensorInfo>>();
  for (const [key, info] of header.tensors) {
    const bad = UNSUPPORTED.find(([s]) => key.endsWith(s));
    if (bad) throw unreadable(path, `it holds ${bad[1]} (${key}), which are not supported yet`, { tensor: key });
    const hit = SUFFIXES.find(([s]) => key.endsWith(s));
    if (!hit) throw unreadable(path, `tensor ${key} is not part of a LoRA, LoHa or LoKr module`, { tensor: key });
    const name = key.slice(0, -hit[0].length);
    if (!parts.has(name)) parts.set(name, new Map());
    parts.get(name)!.set(hit[1], info);
  }
  if (!parts.size) throw unreadable(path, 'it holds no tensors');
  const peftAlpha = peftAlphas(header.metadata);
  const modules = new Map<string, LoraModule>();
  for (const [name, p] of parts) modules.set(name, await toModule(path, name, p, peftAlpha));
  const keys = [...modules.keys()];
  const format: LoraFormat = [...modules.values()].some((m) => m.kind !== 'lora') ? 'lycoris'
    : keys.some((k) => k.startsWith('lora_')) ? 'kohya' : 'peft';
  return {
    path, name: basename(path, extname(path)), format, modules, metadata: header.metadata,
    fileSize: header.fileSize, dataStart: header.dataStart,
  };
}

async function toModule(path: string, name: string, p: Map<string, TensorInfo>, peftAlpha: (name: string) => number | undefined): Promise<LoraModule> {
  const need = (part: string) => {
    const t = p.get(part);
    if (!t) throw unreadable(path, `module ${name} lacks its ${part} tensor`, { module: name });
    return t;
  };
  const alphaOf = async (rank: number) => {
    const a = p.get('alpha');
    const value = a ? (await readFloat32(a))[0] : peftAlpha(name);
    // Missing (or zero, as some old trainers wrote) means alpha = rank: scale 1.
    return value ? value : rank;
  };
  if (p.has('down') || p.has('up')) {
    const down = need('down');
    const up = need('up');
    const rank = down.shape[0];
    if (up.shape[1] !== rank) throw unreadable(path, `module ${name}: up [${up.shape}] does not take down's rank ${rank}`, { module: name });
    return { kind: 'lora', name, down, up, rank, alpha: await alphaOf(rank) };
  }
  if (p.has('w1a')) {
    const w1b = need('w1b');
    const rank = w1b.shape[0];
    return { kind: 'loha', name, w1a: need('w1a'), w1b, w2a: need('w2a'), w2b: need('w2b'), rank, alpha: await alphaOf(rank) };
  }
  const factor = (full: string, a: string, b: string) => (p.has(full) ? need(full) : [need(a), need(b)] as const);
  const w1 = factor('k1', 'k1a', 'k1b');
  const w2 = factor('k2', 'k2a', 'k2b');
  // A1111's rule: the rank is that of a low-rank factor; with two full factors the scale is 1.
  const lowRank = Array.isArray(w2) ? w2[1] : Array.isArray(w1) ? w1[1] : undefined;
  const rank = lowRank ? (lowRank as TensorInfo).shape[0] : 1;
  const alpha = lowRank ? await alphaOf(rank) : 1;
  return { kind: 'lokr', name, w1, w2, rank, alpha };
}

/** diffusers keeps alpha in `lora_adapter_metadata`, per component (`unet.lora_alpha`, `text_encoder.lora_alpha`). */
function peftAlphas(metadata: Readonly<Record<string, string>>): (name: string) => number | undefined {
  const raw = metadata.lora_adapter_metadata;
  if (!raw) return () => undefined;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return () => undefined;
  }
  return (name) => {
    const component = name.slice(0, name.indexOf('.'));
    const a = cfg[`${component}.lora_alpha`] ?? cfg.lora_alpha;
    return typeof a === 'number' ? a : undefined;
  };
}
