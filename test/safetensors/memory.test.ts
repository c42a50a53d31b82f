import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensor } from '../../engine/safetensors/reader.ts';

const BIG_ELEMENTS = 3 * 2 ** 28; // 3 GiB of F32
let dir: string;
let path: string;

/**
 * A valid 3 GiB checkpoint whose data region is a hole in a sparse file: it costs no
 * disk, but any code that reads or maps the file whole would pay 3 GiB of RSS or time.
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-sparse-'));
  path = join(dir, 'sparse.safetensors');
  const bigBytes = BIG_ELEMENTS * 4;
  const header = Buffer.from(
    JSON.stringify({
      big: { dtype: 'F32', shape: [BIG_ELEMENTS], data_offsets: [0, bigBytes] },
      tail: { dtype: 'F32', shape: [4], data_offsets: [bigBytes, bigBytes + 16] },
    }).padEnd(256, ' '),
  );
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const fh = await open(path, 'w');
  try {
    await fh.write(Buffer.concat([prefix, header]), 0);
    await fh.truncate(8 + header.length + bigBytes);
    await fh.write(Buffer.from(new Float32Array([1, 2, 3, 4]).buffer), 0, 16, 8 + header.length + bigBytes);
  } finally {
    await fh.close();
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('large sparse checkpoint', () => {
  it('reads the header of a 3 GiB file in well under a second with little RSS growth', async () => {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const h = await readSafetensorsHeader(path);
    const elapsed = performance.now() - t0;
    const grown = process.memoryUsage().rss - before;
    expect(h.fileSize).toBeGreaterThan(3 * 2 ** 30);
    expect(h.tensors.get('big')!.byteLength).toBe(3 * 2 ** 30);
    expect(elapsed).toBeLessThan(1000);
    expect(grown).toBeLessThan(50 * 1024 * 1024);
    console.info(`sparse 3 GiB header: ${elapsed.toFixed(1)} ms, RSS +${(grown / 2 ** 20).toFixed(1)} MiB`);
  });

  it('reads one tensor past the 3 GiB mark by its byte range only', async () => {
    const h = await readSafetensorsHeader(path);
    const before = process.memoryUsage().rss;
    const tail = await readTensor(h.tensors.get('tail')!);
    expect(Array.from(tail as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });
});
