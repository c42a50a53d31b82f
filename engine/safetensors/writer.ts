import { StudioError } from '../api/errors.ts';
import { writeAtomically } from './atomicWrite.ts';
import { f32ToBf16, f32ToF16 } from './halfFloat.ts';
import { DTYPE_SIZES, type SafetensorsDType } from './types.ts';

export interface TensorToWrite {
  dtype: SafetensorsDType;
  shape: number[];
  /**
   * Raw little-endian element data of exactly shape × dtype bytes. For F16 / BF16 a
   * Float32Array (or number[]) is also accepted and rounded to the 16-bit format.
   */
  data: ArrayBufferView | number[];
}

/**
 * Writes a .safetensors file that the reference implementation accepts: tensors packed
 * back to back with no gaps (it rejects holes), header padded with spaces to a multiple
 * of 8. Tensors are ordered by element size, largest first, then name — since the data
 * region starts 8-aligned, every tensor then starts at a multiple of its own element
 * size without padding, which keeps zero-copy typed views and mmap users happy.
 *
 * Written to a temporary name and renamed, so a crash never leaves a half cache file.
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).map(
    ([name, t]) => [name, t, toBytes(name, t)] as const,
  );
  entries.sort(
    ([a, ta], [b, tb]) => DTYPE_SIZES[tb.dtype] - DTYPE_SIZES[ta.dtype] || (a < b ? -1 : a > b ? 1 : 0),
  );

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t, bytes] of entries) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));

  await writeAtomically(path, async (fh) => {
    await fh.write(prefix);
    await fh.write(headerBytes);
    for (const [, , bytes] of entries) await fh.write(bytes);
  });
}

function toBytes(name: string, t: TensorToWrite): Uint8Array {
  if (!Object.hasOwn(DTYPE_SIZES, t.dtype)) {
    throw new StudioError('INVALID_REQUEST', `tensor "${name}": unknown dtype ${String(t.dtype)}`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new StudioError('SHAPE_MISMATCH', `tensor "${name}": invalid shape [${t.shape.join(', ')}]`);
  }
  const count = t.shape.reduce((a, d) => a * d, 1);
  const expected = count * DTYPE_SIZES[t.dtype];
  let data = t.data;
  const isFloatSource = Array.isArray(data) || data instanceof Float32Array || data instanceof Float64Array;
  if ((t.dtype === 'F16' || t.dtype === 'BF16') && isFloatSource) {
    const values = data as ArrayLike<number>;
    data = t.dtype === 'F16' ? f32ToF16(values) : f32ToBf16(values);
  } else if (Array.isArray(data)) {
    throw new StudioError('INVALID_REQUEST', `tensor "${name}": number[] data is only accepted for F16/BF16`);
  }
  const view = data as ArrayBufferView;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bytes.length !== expected) {
    throw new StudioError(
      'SHAPE_MISMATCH',
      `tensor "${name}": shape [${t.shape.join(', ')}] × ${t.dtype} needs ${expected} bytes, data has ${bytes.length}`,
    );
  }
  return bytes;
}
