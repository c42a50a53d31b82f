import { open, type FileHandle } from 'node:fs/promises';
import { StudioError, toStudioError } from '../api/errors.ts';
import { DTYPE_SIZES, type SafetensorsDType, type TensorInfo } from './types.ts';

/** Headers of real checkpoints are well under 1 MB; anything past this is hostile or broken. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsHeader {
  path: string;
  /** Byte length of the JSON header as declared by the 8-byte prefix. */
  headerLength: number;
  /** Absolute offset of the data region (8 + headerLength); tensor offsets already include it. */
  dataStart: number;
  fileSize: number;
  metadata: Record<string, string>;
  /** In file order of appearance in the header; offsets are absolute. */
  tensors: Map<string, TensorInfo>;
}

function corrupt(path: string, what: string, details?: Record<string, unknown>): StudioError {
  return new StudioError('CHECKPOINT_CORRUPT', `${path}: ${what}`, { file: path, ...details });
}

/**
 * Reads and validates only the header of a .safetensors file: 8 bytes of length, then
 * exactly that many bytes. The data region is never touched, so a 10 GB checkpoint costs
 * a few hundred KB of memory here.
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw toStudioError(e);
  }
  try {
    const fileSize = (await fh.stat()).size;
    if (fileSize < 8) throw corrupt(path, `file is ${fileSize} bytes, too short for the 8-byte header length`);
    const prefix = new Uint8Array(8);
    await readFully(fh, prefix, 0, path);
    const declared = new DataView(prefix.buffer).getBigUint64(0, true);
    // Compare as BigInt before converting: a declared 2^64−1 must not round into range.
    if (declared < 2n) throw corrupt(path, `header length ${declared} is too small`);
    if (declared > BigInt(MAX_HEADER_BYTES)) {
      throw corrupt(path, `header length ${declared} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    }
    if (declared > BigInt(fileSize - 8)) {
      throw corrupt(path, `header length ${declared} runs past the end of the ${fileSize}-byte file (truncated?)`);
    }
    const headerLength = Number(declared);
    const bytes = new Uint8Array(headerLength);
    await readFully(fh, bytes, 8, path);
    return parseSafetensorsHeader(bytes, path, fileSize);
  } finally {
    await fh.close();
  }
}

async function readFully(
  fh: FileHandle,
  into: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw corrupt(path, `file ended after ${position + done} bytes while reading the header`);
    done += bytesRead;
  }
}

/**
 * Validates header JSON bytes against the file they came from. Exported so tests and
 * other containers (e.g. headers fetched over the network) share one set of rules.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, path: string, fileSize: number): SafetensorsHeader {
  const headerLength = bytes.length;
  const dataStart = 8 + headerLength;
  const dataSize = fileSize - dataStart;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw corrupt(path, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw corrupt(path, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw corrupt(path, 'header JSON is not an object');

  const metadata = parseMetadata(json.__metadata__, path);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const info = parseEntry(name, entry, path, dataStart, dataSize);
    tensors.set(name, info);
  }
  checkOverlaps(tensors, path, dataStart);
  return { path, headerLength, dataStart, fileSize, metadata, tensors };
}

function parseMetadata(value: unknown, path: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw corrupt(path, '__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw corrupt(path, `__metadata__ entry "${k}" is not a string`);
    out[k] = v;
  }
  return out;
}

function parseEntry(name: string, entry: unknown, path: string, dataStart: number, dataSize: number): TensorInfo {
  const bad = (what: string) => corrupt(path, `tensor "${name}": ${what}`, { tensor: name });
  if (!isPlainObject(entry)) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZES, dtype)) {
    throw bad(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_SIZES).join(' ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw bad(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) {
    throw bad(`data_offsets [${begin}, ${end}] lie outside the ${dataSize}-byte data region`);
  }
  const elementSize = DTYPE_SIZES[dtype as SafetensorsDType];
  // Above 2^53 the product is inexact, but then it also exceeds any real byte range.
  const expected = (shape as number[]).reduce((a, d) => a * d, elementSize);
  if (expected !== end - begin) {
    throw bad(
      `shape [${shape.join(', ')}] × ${dtype} (${elementSize} B) = ${expected} bytes but data_offsets span ${end - begin}`,
    );
  }
  return {
    name,
    dtype: dtype as SafetensorsDType,
    shape: [...(shape as number[])],
    offset: dataStart + begin,
    byteLength: end - begin,
    file: path,
  };
}

function checkOverlaps(tensors: Map<string, TensorInfo>, path: string, dataStart: number): void {
  // Empty tensors occupy no bytes and may legally share an offset with anything.
  const spans = [...tensors.values()].filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.offset < prev.offset + prev.byteLength) {
      const range = (t: TensorInfo) => `[${t.offset - dataStart}, ${t.offset - dataStart + t.byteLength})`;
      throw corrupt(path, `tensors "${prev.name}" ${range(prev)} and "${cur.name}" ${range(cur)} overlap`, {
        tensor: cur.name,
        other: prev.name,
      });
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
