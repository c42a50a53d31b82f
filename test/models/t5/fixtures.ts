import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { readFloat32 } from '../../../engine/safetensors/reader.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { sharedPath } from '../../support/shared.ts';

/** pixart-tiny's T5 encoder folder, and files in the layouts people hold. */
export const pixart = (...p: string[]): string => sharedPath('golden', 'pixart-tiny', ...p);

/** The F32 T5 tensors of pixart-tiny as float32 arrays, by name. */
export async function tinyT5Tensors(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const header = await readSafetensorsHeader(pixart('text_encoder', 'model.safetensors'));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, info] of header.tensors) out.set(k, { shape: info.shape, data: await readFloat32(info) });
  return out;
}

/**
 * Writes the tiny T5 under new names / dtypes: `rename` maps each key to its new name (null drops it),
 * `extra` adds tensors as they are.
 */
export async function writeT5Variant(
  file: string,
  opts: { rename?: (k: string) => string | null; dtype?: 'F32' | 'F16'; extra?: Record<string, TensorToWrite> } = {},
): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [k, t] of await tinyT5Tensors()) {
    const name = opts.rename ? opts.rename(k) : k;
    if (name !== null) tensors[name] = { dtype: opts.dtype ?? 'F32', shape: t.shape, data: t.data };
  }
  Object.assign(tensors, opts.extra ?? {});
  await mkdir(dirname(file), { recursive: true });
  await writeSafetensors(file, tensors);
}
