import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file whose 8-byte prefix says `declared` (default: the header's real length). */
async function file(name: string, header: string | object, data = 0, declared?: bigint): Promise<string> {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declared ?? BigInt(h.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([prefix, h, Buffer.alloc(data)]));
  return path;
}

async function expectCorrupt(path: string, ...fragments: string[]): Promise<StudioError> {
  const err = await readSafetensorsHeader(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StudioError);
  const se = err as StudioError;
  expect(se.code).toBe('CHECKPOINT_CORRUPT');
  expect(se.message).toContain(path);
  for (const f of fragments) expect(se.message).toContain(f);
  return se;
}

const ok = { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };

describe('readSafetensorsHeader rejects hostile files with CHECKPOINT_CORRUPT', () => {
  it('accepts the well-formed control file', async () => {
    const h = await readSafetensorsHeader(await file('ok.safetensors', ok, 16));
    expect(h.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [2, 2], byteLength: 16, offset: h.dataStart });
  });

  it('empty file', async () => {
    const path = join(dir, 'empty.safetensors');
    await writeFile(path, Buffer.alloc(0));
    await expectCorrupt(path, 'too short');
  });

  it('file shorter than the 8-byte prefix', async () => {
    const path = join(dir, 'five.safetensors');
    await writeFile(path, Buffer.from([1, 2, 3, 4, 5]));
    await expectCorrupt(path, 'too short');
  });

  it('truncated data region', async () => {
    await expectCorrupt(await file('trunc.safetensors', ok, 10), '"a"', 'outside');
  });

  it('header length past the end of the file', async () => {
    await expectCorrupt(await file('past.safetensors', ok, 16, 5000n), 'past the end');
  });

  it('header length of 100 GB fails fast without allocating', async () => {
    const path = await file('huge.safetensors', ok, 16, 100_000_000_000n);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    await expectCorrupt(path, '100000000000', 'limit');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('header length 2^64 − 1', async () => {
    await expectCorrupt(await file('max.safetensors', ok, 16, 0xffffffffffffffffn), 'limit');
  });

  it('header length below 2', async () => {
    await expectCorrupt(await file('tiny.safetensors', '{', 0, 1n), 'too small');
  });

  it('non-JSON header', async () => {
    await expectCorrupt(await file('nonjson.safetensors', 'this is not json at all', 0), 'not valid JSON');
  });

  it('invalid UTF-8 header', async () => {
    const path = join(dir, 'utf8.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(4n);
    await writeFile(path, Buffer.concat([prefix, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]));
    await expectCorrupt(path, 'UTF-8');
  });

  it('JSON that is not an object', async () => {
    await expectCorrupt(await file('array.safetensors', '[1, 2, 3]'), 'not an object');
  });

  it('overlapping offsets', async () => {
    const header = {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
    };
    await expectCorrupt(await file('overlap.safetensors', header, 24), 'overlap', '"a"', '"b"');
  });

  it('shape × dtype size differs from the byte range', async () => {
    const header = { w: { dtype: 'F16', shape: [3, 3], data_offsets: [0, 36] } };
    await expectCorrupt(await file('size.safetensors', header, 36), '"w"', '18 bytes', 'span 36');
  });

  it('unknown dtype', async () => {
    const header = { w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } };
    await expectCorrupt(await file('dtype.safetensors', header, 16), '"w"', 'unknown dtype "F128"');
  });

  it('offsets outside the data region', async () => {
    const header = { w: { dtype: 'U8', shape: [8], data_offsets: [100, 108] } };
    await expectCorrupt(await file('outside.safetensors', header, 50), '"w"', 'outside the 50-byte data region');
  });

  it('offsets that end before they begin', async () => {
    const header = { w: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } };
    await expectCorrupt(await file('reversed.safetensors', header, 16), '"w"', 'end before');
  });

  it('negative or fractional shape entries', async () => {
    const neg = { w: { dtype: 'U8', shape: [-1, 4], data_offsets: [0, 4] } };
    await expectCorrupt(await file('neg.safetensors', neg, 4), '"w"', 'non-negative integers');
    const frac = { w: { dtype: 'U8', shape: [1.5], data_offsets: [0, 4] } };
    await expectCorrupt(await file('frac.safetensors', frac, 4), '"w"', 'non-negative integers');
  });

  it('malformed data_offsets', async () => {
    const header = { w: { dtype: 'U8', shape: [4], data_offsets: [0] } };
    await expectCorrupt(await file('offs.safetensors', header, 4), '"w"', 'data_offsets');
  });

  it('__metadata__ with non-string values', async () => {
    const header = { __metadata__: { format: 'pt', step: 3 }, ...ok };
    await expectCorrupt(await file('meta.safetensors', header, 16), '__metadata__', '"step"');
  });

  it('a missing file is NOT_FOUND, not a crash', async () => {
    const err = await readSafetensorsHeader(join(dir, 'nope.safetensors')).catch((e: unknown) => e);
    expect((err as StudioError).code).toBe('NOT_FOUND');
  });

  it('empty tensors may share offsets; header padding spaces are accepted', async () => {
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      e1: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
      e2: { dtype: 'F32', shape: [2, 0], data_offsets: [0, 0] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    });
    const h = await readSafetensorsHeader(await file('empty-tensors.safetensors', header + '     ', 4));
    expect(h.metadata).toEqual({ format: 'pt' });
    expect([...h.tensors.keys()]).toEqual(['e1', 'e2', 'a']);
  });
});
