import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sd15CheckpointKeys, writeRandomF16Checkpoint } from '../../engine/bench/syntheticCheckpoint.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readFloat32 } from '../../engine/safetensors/reader.ts';

describe('synthetic random-weight checkpoints for the benchmark', () => {
  it('writes a valid F16 file with initialisation-like values, and the full SD 1.5 key set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-synth-'));
    const path = join(dir, 'small.safetensors');
    const keys = new Map([['a.weight', [64, 32, 3, 3]], ['a.bias', [64]], ['norm.weight', [64]]]);
    const fractions: number[] = [];
    const bytes = await writeRandomF16Checkpoint(path, keys, 3, (f) => fractions.push(f));
    expect(bytes).toBe((64 * 32 * 9 + 64 + 64) * 2);
    expect(fractions.at(-1)).toBe(1);
    // Renamed into place: no temporary file is left behind.
    expect(readdirSync(dir)).toEqual(['small.safetensors']);
    const header = await readSafetensorsHeader(path);
    expect(header.tensors.get('a.weight')).toMatchObject({ dtype: 'F16', shape: [64, 32, 3, 3] });
    const values = (name: string) => readFloat32(header.tensors.get(name)!);
    const std = (v: Float32Array, mean = 0) => Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
    expect(std(await values('a.weight'))).toBeCloseTo(1 / Math.sqrt(32 * 9), 1);
    const norm = await values('norm.weight');
    expect(norm.reduce((a, x) => a + x, 0) / norm.length).toBeCloseTo(1, 1);
    // SD 1.5's UNet (686) and VAE (248) keys, as in the golden README, plus CLIP-L's 12 layers × 16 + 4.
    expect(sd15CheckpointKeys().size).toBe(686 + 248 + 12 * 16 + 4);
  });
});
