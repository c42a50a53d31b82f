import { readFile, writeFile } from 'node:fs/promises';
import { StudioError, toStudioError } from '../api/errors.ts';
import { f16ToF32, f32ToF16 } from '../safetensors/halfFloat.ts';

/**
 * NumPy .npy arrays (format 1.0 / 2.0 / 3.0, little-endian, C order) — the exchange
 * format of every golden file and of the `debug <module>` parity harness.
 *
 * Malformed or truncated files raise CHECKPOINT_CORRUPT and well-formed files we do not
 * handle (big-endian, Fortran order, structured dtypes) CHECKPOINT_UNSUPPORTED: the
 * shared error vocabulary has no separate "array file" codes, and these are the same
 * situations as for a checkpoint.
 */

const DTYPES = {
  '<f4': { size: 4, array: Float32Array },
  '<f8': { size: 8, array: Float64Array },
  /** fp16 stays as raw bit patterns (Node 20 has no Float16Array); see `npyToFloat32`. */
  '<f2': { size: 2, array: Uint16Array },
  '<i8': { size: 8, array: BigInt64Array },
  '<u8': { size: 8, array: BigUint64Array },
  '<i4': { size: 4, array: Int32Array },
  '<u4': { size: 4, array: Uint32Array },
  '<i2': { size: 2, array: Int16Array },
  '<u2': { size: 2, array: Uint16Array },
  '|i1': { size: 1, array: Int8Array },
  '|u1': { size: 1, array: Uint8Array },
  '|b1': { size: 1, array: Uint8Array },
} as const;

export type NpyDType = keyof typeof DTYPES;
/** Spelled out (not InstanceType<…>) so views over any ArrayBufferLike are accepted. */
export type NpyData =
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

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw toStudioError(e);
  }
  return parseNpy(bytes, path);
}

/** Decodes .npy bytes; `name` only labels error messages. */
export function parseNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const corrupt = (what: string) => new StudioError('CHECKPOINT_CORRUPT', `${name}: ${what}`, { file: name });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt('not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let lengthBytes: number;
  if (major === 1) lengthBytes = 2;
  else if (major === 2 || major === 3) lengthBytes = 4;
  else throw new StudioError('CHECKPOINT_UNSUPPORTED', `${name}: .npy format version ${major}.${bytes[7]} is not supported`);
  if (bytes.length < 8 + lengthBytes) throw corrupt('truncated before the header length');
  const headerLen = lengthBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLen;
  if (dataStart > bytes.length) throw corrupt(`header of ${headerLen} bytes runs past the end of the file`);
  // Versions 1 and 2 declare latin-1 headers; 3 is UTF-8. Both are ASCII in practice.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  const { dtype, shape } = parseHeaderDict(header, name);

  const count = shape.reduce((a, d) => a * d, 1);
  const size = DTYPES[dtype].size;
  const need = count * size;
  const have = bytes.length - dataStart;
  if (have < need) throw corrupt(`truncated: shape [${shape.join(', ')}] ${dtype} needs ${need} data bytes, file has ${have}`);
  if (have > need) throw corrupt(`${have - need} unexpected bytes after the array data`);
  // Copy into a fresh buffer so the typed array is aligned whatever the header length.
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(dataStart, dataStart + need));
  const data = new DTYPES[dtype].array(copy.buffer, 0, count) as NpyData;
  return { dtype, shape, data };
}

function parseHeaderDict(header: string, name: string): { dtype: NpyDType; shape: number[] } {
  const corrupt = (what: string) => new StudioError('CHECKPOINT_CORRUPT', `${name}: ${what}`, { file: name });
  const unsupported = (what: string) => new StudioError('CHECKPOINT_UNSUPPORTED', `${name}: ${what}`, { file: name });
  const trimmed = header.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) throw corrupt(`header is not a dict: ${JSON.stringify(trimmed)}`);
  const descrRaw = /['"]descr['"]\s*:\s*(.)/.exec(trimmed);
  if (!descrRaw) throw corrupt(`header has no 'descr': ${trimmed}`);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(trimmed);
  if (!descr) throw unsupported(`structured dtypes are not supported (${trimmed})`);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(trimmed);
  if (!fortran) throw corrupt(`header has no 'fortran_order': ${trimmed}`);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(trimmed);
  if (!shapeMatch) throw corrupt(`header has no 'shape' tuple: ${trimmed}`);

  const dtype = normaliseDType(descr[1]);
  if (!dtype) {
    throw unsupported(`dtype '${descr[1]}' is not supported (little-endian ${Object.keys(DTYPES).join(' ')})`);
  }
  if (fortran[1] === 'True') throw unsupported('Fortran-order arrays are not supported; save with C order');
  const parts = shapeMatch[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : NaN));
  if (!shape.every((d) => Number.isSafeInteger(d))) throw corrupt(`bad shape (${shapeMatch[1]})`);
  return { dtype, shape };
}

/** '=' is native order (little-endian on every host we run on); 1-byte types may use any prefix. */
function normaliseDType(descr: string): NpyDType | undefined {
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  if (!m) return undefined;
  const [, order, kind, bytes] = m;
  if (bytes === '1') {
    const key = `|${kind}1`;
    return Object.hasOwn(DTYPES, key) ? (key as NpyDType) : undefined;
  }
  if (order === '>' || order === '|') return undefined;
  const key = `<${kind}${bytes}`;
  return Object.hasOwn(DTYPES, key) ? (key as NpyDType) : undefined;
}

/** Encodes an array as .npy 1.0 (2.0 only if the header would not fit in 64 KiB). */
export function encodeNpy(array: { dtype: NpyDType; shape: number[]; data: ArrayBufferView | ArrayLike<number> }): Uint8Array {
  const { dtype, shape } = array;
  const spec = DTYPES[dtype];
  if (!spec) throw new StudioError('INVALID_REQUEST', `unsupported .npy dtype ${String(dtype)}`);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new StudioError('SHAPE_MISMATCH', `invalid shape [${shape.join(', ')}]`);
  }
  let data = array.data;
  if (dtype === '<f2' && !(data instanceof Uint16Array)) data = f32ToF16(data as ArrayLike<number>);
  if (!(data instanceof spec.array)) {
    throw new StudioError('INVALID_REQUEST', `dtype ${dtype} needs a ${spec.array.name}, got ${describe(data)}`);
  }
  const count = shape.reduce((a, d) => a * d, 1);
  if (data.length !== count) {
    throw new StudioError('SHAPE_MISMATCH', `shape [${shape.join(', ')}] has ${count} elements, data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const version = dict.length + 1 + 10 > 65535 ? 2 : 1;
  const prefixLen = version === 1 ? 10 : 12;
  // NumPy pads with spaces and a final newline so the data starts 64-byte aligned.
  const total = Math.ceil((prefixLen + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefixLen - 1, ' ') + '\n';

  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), prefixLen);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

export async function writeNpy(
  path: string,
  array: { dtype: NpyDType; shape: number[]; data: ArrayBufferView | ArrayLike<number> },
): Promise<void> {
  const bytes = encodeNpy(array);
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw toStudioError(e);
  }
}

/** Widens any numeric .npy array to float32 (fp16 bits decoded, int64 converted) for comparisons. */
export function npyToFloat32(array: NpyArray): Float32Array {
  const { dtype, data } = array;
  if (dtype === '<f4') return data as Float32Array;
  if (dtype === '<f2') return f16ToF32(data as Uint16Array);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

function describe(v: unknown): string {
  return v === null || typeof v !== 'object' ? typeof v : (v.constructor?.name ?? 'object');
}
