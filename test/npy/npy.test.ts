import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { encodeNpy, npyToFloat32, parseNpy, readNpy, writeNpy, type NpyDType } from '../../engine/npy/npy.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Hand-made .npy bytes, to test headers our own writer would never produce. */
function rawNpy(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const head = Buffer.from(dict + '\n', 'latin1');
  const out = Buffer.alloc(8 + lenBytes + head.length + data.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(out, 0);
  if (major === 1) out.writeUInt16LE(head.length, 8);
  else out.writeUInt32LE(head.length, 8);
  head.copy(out, 8 + lenBytes);
  Buffer.from(data).copy(out, 8 + lenBytes + head.length);
  return out;
}

function errorOf(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return e as StudioError;
  }
  throw new Error('expected a StudioError');
}

describe('npy round trips', () => {
  const cases: Array<[NpyDType, number[], ArrayBufferView & ArrayLike<number | bigint>]> = [
    ['<f4', [2, 3], new Float32Array([1, -2, 3.5, 0, -0, 1e-30])],
    ['<f8', [3], new Float64Array([Math.PI, -1e300, 5e-324])],
    ['<i8', [1, 2], new BigInt64Array([-(2n ** 63n), 2n ** 62n])],
    ['<i4', [4], new Int32Array([-1, 0, 1, 2 ** 31 - 1])],
    ['|u1', [2, 2], new Uint8Array([0, 1, 254, 255])],
    ['<f2', [2], new Uint16Array([0x3c00, 0xc000])],
    ['<f4', [], new Float32Array([42])],
    ['<f4', [0, 5], new Float32Array(0)],
  ];
  for (const [dtype, shape, data] of cases) {
    it(`${dtype} [${shape.join(', ')}]`, async () => {
      const path = join(dir, `rt-${dtype.slice(1)}-${shape.length}-${shape[0] ?? 's'}.npy`);
      await writeNpy(path, { dtype, shape, data });
      const bytes = await readFile(path);
      const headerEnd = bytes.indexOf(0x0a) + 1;
      expect(headerEnd % 64).toBe(0); // data 64-byte aligned, as NumPy writes it
      const back = await readNpy(path);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(data));
      expect(back.data.constructor).toBe(data.constructor);
    });
  }

  it('writes float32 values as <f2 by rounding, and widens them back', () => {
    const arr = parseNpy(encodeNpy({ dtype: '<f2', shape: [3], data: new Float32Array([1, 0.1, -65504]) }));
    expect(Array.from(arr.data as Uint16Array)).toEqual([0x3c00, 0x2e66, 0xfbff]);
    expect(Array.from(npyToFloat32(arr))).toEqual([1, 0.0999755859375, -65504]);
  });

  it('reads format 2.0 headers, native "=" order and "<u1"', () => {
    const a = parseNpy(rawNpy("{'descr': '=i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Int32Array([5, -5]).buffer), 2));
    expect(a).toMatchObject({ dtype: '<i4', shape: [2] });
    expect(Array.from(a.data as Int32Array)).toEqual([5, -5]);
    const b = parseNpy(rawNpy("{'shape': (1, 1), 'fortran_order': False, 'descr': '<u1'}", new Uint8Array([7])));
    expect(b).toMatchObject({ dtype: '|u1', shape: [1, 1] });
  });

  it('refuses a dtype/data mismatch when writing', () => {
    expect(errorOf(() => encodeNpy({ dtype: '<i8', shape: [1], data: new Float32Array(1) })).code).toBe('INVALID_REQUEST');
    expect(errorOf(() => encodeNpy({ dtype: '<f4', shape: [2], data: new Float32Array(3) })).code).toBe('SHAPE_MISMATCH');
  });
});

describe('npy rejects what it cannot read, with typed errors', () => {
  const f4 = new Uint8Array(new Float32Array([1, 2]).buffer);
  it('Fortran order', () => {
    const e = errorOf(() => parseNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4), 'f.npy'));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(e.message).toMatch(/f\.npy.*Fortran/);
  });
  it('big-endian and unknown dtypes', () => {
    for (const d of ['>f4', '<c8', '<U5', '|O']) {
      const e = errorOf(() => parseNpy(rawNpy(`{'descr': '${d}', 'fortran_order': False, 'shape': (2,), }`, f4)));
      expect(e.code, d).toBe('CHECKPOINT_UNSUPPORTED');
      expect(e.message).toContain(d);
    }
  });
  it('structured dtypes', () => {
    const e = errorOf(() => parseNpy(rawNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", f4)));
    expect(e.code).toBe('CHECKPOINT_UNSUPPORTED');
  });
  it('truncated data', () => {
    const e = errorOf(() => parseNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4), 't.npy'));
    expect(e.code).toBe('CHECKPOINT_CORRUPT');
    expect(e.message).toContain('truncated');
  });
  it('truncated header, bad magic, empty file, trailing bytes', () => {
    const good = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4);
    expect(errorOf(() => parseNpy(good.subarray(0, 30))).code).toBe('CHECKPOINT_CORRUPT');
    expect(errorOf(() => parseNpy(new Uint8Array(0))).code).toBe('CHECKPOINT_CORRUPT');
    expect(errorOf(() => parseNpy(Buffer.from('PK\x03\x04 not an npy file'))).message).toContain('magic');
    expect(errorOf(() => parseNpy(Buffer.concat([good, Buffer.from([0])]))).message).toContain('unexpected bytes');
  });
  it('a missing file is NOT_FOUND', async () => {
    const e = await readNpy(join(dir, 'missing.npy')).catch((x: unknown) => x);
    expect((e as StudioError).code).toBe('NOT_FOUND');
  });
  it('unsupported format version', async () => {
    const path = join(dir, 'v9.npy');
    await writeFile(path, rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4, 9));
    expect(((await readNpy(path).catch((x: unknown) => x)) as StudioError).code).toBe('CHECKPOINT_UNSUPPORTED');
  });
});

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('golden .npy files', () => {
  const root = sharedPath('golden', 'sd15-tiny');

  it('input_ids is int64 [3, 77] with BOS/EOS where the tokenizer put them', async () => {
    const ids = await readNpy(join(root, 'golden', 'text', 'input_ids.npy'));
    expect(ids.dtype).toBe('<i8');
    expect(ids.shape).toEqual([3, 77]);
    const row0 = Array.from((ids.data as BigInt64Array).subarray(0, 8), Number);
    expect(row0).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
  });

  it('every array listed in manifest.json has its shape and dtype', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as {
      arrays: Record<string, { shape: number[]; dtype: string }>;
    };
    const npDtype: Record<string, NpyDType> = { float32: '<f4', float64: '<f8', int64: '<i8' };
    const entries = Object.entries(manifest.arrays);
    expect(entries.length).toBeGreaterThan(50);
    for (const [rel, { shape, dtype }] of entries) {
      const arr = await readNpy(join(root, rel));
      expect(arr.shape, rel).toEqual(shape);
      expect(arr.dtype, rel).toBe(npDtype[dtype]);
    }
  });

  it('a golden array survives write → read byte for byte', async () => {
    const src = join(root, 'golden', 'text', 'last_hidden_state.npy');
    const arr = await readNpy(src);
    const out = join(dir, 'copy.npy');
    await writeNpy(out, arr);
    expect(Buffer.compare(await readFile(out), await readFile(src))).toBe(0);
    expect((arr.data as Float32Array)[0]).toBeCloseTo(0.30500462651252747, 7);
  });
});
