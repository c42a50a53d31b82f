import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { StudioError, toStudioError } from '../api/errors.ts';
import { bf16ToF32, f16ToF32, f8e4m3ToF32, f8e5m2ToF32 } from './halfFloat.ts';
import type { SafetensorsDType, TensorInfo } from './types.ts';

/**
 * What `readTensor` returns per dtype: floats of any width widen to Float32Array
 * (except F64), integers keep their own typed array, BOOL is one byte per element.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

// Reinterpreting bytes as typed arrays assumes the host matches the file's byte order.
if (endianness() !== 'LE') throw new Error('safetensors reader requires a little-endian host');

/** Node's fs.read takes at most 2 GiB per call; larger tensors are read in slices. */
const MAX_READ = 1 << 30;

/**
 * Reads tensors through one open handle per file. Holds handles until `close()`, so
 * loading hundreds of tensors (or a diffusers folder spread over several files) costs
 * one open() per file, not per tensor.
 */
export class TensorReader {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  /** The tensor's raw little-endian bytes, in a fresh, 8-byte-aligned buffer. */
  async readBytes(info: TensorInfo): Promise<Uint8Array> {
    const fh = await this.handle(info.file);
    // A fresh ArrayBuffer (not Buffer.allocUnsafe's pool) so typed views are aligned.
    const out = new Uint8Array(info.byteLength);
    let done = 0;
    while (done < out.length) {
      const len = Math.min(MAX_READ, out.length - done);
      const { bytesRead } = await fh.read(out, done, len, info.offset + done);
      if (bytesRead === 0) {
        throw new StudioError(
          'CHECKPOINT_CORRUPT',
          `${info.file}: tensor "${info.sourceName ?? info.name}" is cut short: file ended ${out.length - done} bytes early`,
          { file: info.file, tensor: info.name },
        );
      }
      done += bytesRead;
    }
    return out;
  }

  async read(info: TensorInfo): Promise<TensorData> {
    return decodeTensor(info.dtype, await this.readBytes(info));
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
  }

  private handle(file: string): Promise<FileHandle> {
    let h = this.handles.get(file);
    if (!h) {
      h = open(file, 'r').catch((e: unknown) => {
        this.handles.delete(file);
        throw toStudioError(e);
      });
      this.handles.set(file, h);
    }
    return h;
  }
}

/** Runs `fn` with a reader and always closes its handles, even when `fn` throws. */
export async function withTensorReader<T>(fn: (reader: TensorReader) => Promise<T>): Promise<T> {
  const reader = new TensorReader();
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

/** One tensor, one open/close. For many tensors use `readTensors` or `TensorReader`. */
export function readTensor(info: TensorInfo): Promise<TensorData> {
  return withTensorReader((r) => r.read(info));
}

/**
 * A floating-point tensor as float32, whatever its storage width (F64 is narrowed).
 * Integer tensors are refused: silently turning ids into floats hides bugs.
 */
export async function readFloat32(info: TensorInfo): Promise<Float32Array> {
  const data = await readTensor(info);
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new StudioError('SHAPE_MISMATCH', `${info.file}: tensor "${info.name}" is ${info.dtype}, not floating point`, {
    file: info.file,
    tensor: info.name,
  });
}

export function readTensorBytes(info: TensorInfo): Promise<Uint8Array> {
  return withTensorReader((r) => r.readBytes(info));
}

/** Reads several tensors sequentially (one handle per file), keyed by `info.name`. */
export function readTensors(infos: Iterable<TensorInfo>): Promise<Map<string, TensorData>> {
  return withTensorReader(async (r) => {
    const out = new Map<string, TensorData>();
    for (const info of infos) out.set(info.name, await r.read(info));
    return out;
  });
}

/** Interprets little-endian tensor bytes. `bytes` must start at an 8-byte-aligned offset. */
export function decodeTensor(dtype: SafetensorsDType, bytes: Uint8Array): TensorData {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'F64':
      return new Float64Array(buffer, byteOffset, byteLength / 8);
    case 'F16':
      return f16ToF32(new Uint16Array(buffer, byteOffset, byteLength / 2));
    case 'BF16':
      return bf16ToF32(new Uint16Array(buffer, byteOffset, byteLength / 2));
    case 'F8_E4M3':
      return f8e4m3ToF32(bytes);
    case 'F8_E5M2':
      return f8e5m2ToF32(bytes);
    case 'I64':
      return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case 'U64':
      return new BigUint64Array(buffer, byteOffset, byteLength / 8);
    case 'I32':
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'U32':
      return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case 'I16':
      return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'U16':
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'I8':
      return new Int8Array(buffer, byteOffset, byteLength);
    case 'U8':
    case 'BOOL':
      return bytes;
  }
}
