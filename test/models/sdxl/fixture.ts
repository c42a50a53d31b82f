import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { readFloat32, readTensor } from '../../../engine/safetensors/reader.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { sharedPath } from '../../support/shared.ts';

/** ../shared/golden/sdxl-tiny paths. */
export const sdxlTiny = (...p: string[]) => sharedPath('golden', 'sdxl-tiny', ...p);
export const SDXL_TINY_F16 = sdxlTiny('sdxl-tiny.f16.safetensors');

/** A golden array as float32 (`from_f16_weights/…` when `f16` is set and the file exists there). */
export async function golden(path: string, fromF16 = false): Promise<Float32Array> {
  return npyToFloat32(await readNpy(sdxlTiny('golden', ...(fromF16 ? ['from_f16_weights'] : []), path)));
}

export async function goldenNpy(path: string) {
  return readNpy(sdxlTiny('golden', path));
}

/**
 * The F32 checkpoint, which shared/ leaves out for size: the F16 file's tensors upcast to
 * float32 (exactly the parameters `from_f16_weights/` was computed with), same key layout,
 * written into `dir` with the set's config beside it. With 'BF16', the same values rounded to
 * bfloat16 (8 mantissa bits), as BF16 checkpoints hold them.
 */
export async function writeF32Copy(dir: string, dtype: 'F32' | 'BF16' = 'F32'): Promise<string> {
  const header = await readSafetensorsHeader(SDXL_TINY_F16);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, info] of header.tensors) {
    if (info.dtype === 'F16') tensors.set(name, { dtype, shape: [...info.shape], data: await readFloat32(info) });
    else tensors.set(name, { dtype: info.dtype, shape: [...info.shape], data: (await readTensor(info)) as ArrayBufferView });
  }
  const path = join(dir, `sdxl-tiny.${dtype.toLowerCase()}.safetensors`);
  await writeSafetensors(path, tensors);
  await copyFile(sdxlTiny('config.json'), join(dir, 'config.json'));
  return path;
}
