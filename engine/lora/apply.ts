import type { StableDiffusionSpec } from '../models/spec.ts';
import { DEFAULT_LORA_MODE, type LoraBinding, type LoraMode, bindLoras } from './adapters.ts';
import { type LoraFile, readLoraFile } from './loraFile.ts';
import { type ResolvedLora, resolveLora } from './resolve.ts';

/** One LoRA a request asks for: a file and its multiplier (A1111's `<lora:name:0.8>`). */
export interface LoraUse {
  readonly path: string;
  readonly scale: number;
}

/** The LoRAs of one request bound to a checkpoint's networks. */
export interface AppliedLoras {
  readonly loras: readonly ResolvedLora[];
  readonly scales: readonly number[];
  readonly unet?: LoraBinding;
  readonly text?: LoraBinding;
}

const files = new Map<string, Promise<LoraFile>>();

/** Reads a LoRA file once per process (headers and alphas only; tensors stay on disk). */
export function loraFile(path: string): Promise<LoraFile> {
  let p = files.get(path);
  if (!p) {
    p = readLoraFile(path);
    p.catch(() => files.delete(path));
    files.set(path, p);
  }
  return p;
}

/** Reads, matches and binds every LoRA of a request; refusals name the file and the family it was made for. */
export async function applyLoras(spec: StableDiffusionSpec, uses: readonly LoraUse[], mode: LoraMode = DEFAULT_LORA_MODE): Promise<AppliedLoras> {
  if (!uses.length) return { loras: [], scales: [] };
  const loras = await Promise.all(uses.map(async (u) => resolveLora(await loraFile(u.path), spec)));
  const scales = uses.map((u) => u.scale);
  // A LoRA at 0 is not applied at all (A1111 does the same), so the result is exactly the bare
  // model's: onnxruntime fuses a layer with a branch differently, which moves the last bit.
  const active = loras.filter((_, i) => scales[i] !== 0);
  const activeScales = scales.filter((s) => s !== 0);
  return {
    loras, scales,
    unet: bindLoras(active, activeScales, 'unet', mode),
    text: bindLoras(active, activeScales, 'text', mode),
  };
}
