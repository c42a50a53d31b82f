import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeGraphFiles } from '../../engine/bench/firstImage.ts';
import { formatBench } from '../../engine/bench/report.ts';
import type { BenchResults } from '../../engine/bench/run.ts';

describe('first-image and weight-cast bench rows', () => {
  it('a cold run starts without the graphs built for that checkpoint, and leaves every other file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-first-'));
    const ckpt = join(dir, 'm.safetensors');
    for (const f of ['m.safetensors', '.m.safetensors.unet.0123.onnx', '.m.safetensors.vae-decoder.4567.onnx', '.other.safetensors.unet.89.onnx', 'notes.onnx']) writeFileSync(join(dir, f), '');
    mkdirSync(join(dir, 'graphs'));
    writeFileSync(join(dir, 'graphs', 'unet.1.onnx'), '');
    removeGraphFiles(ckpt, join(dir, 'graphs'));
    expect(readdirSync(dir).sort()).toEqual(['.other.safetensors.unet.89.onnx', 'm.safetensors', 'notes.onnx']);
  });

  it('the table shows session starts, the paired speed ratio against folding at load and the first-image times', () => {
    const r: BenchResults = {
      date: '', machine: { cpus: 2, cpuModel: '', memoryGiB: 24, threads: 2, node: '' },
      checkpoint: { path: '', bytes: 0, created: false, seconds: 0 }, matmul: { n: 2048, gflops: 100, bestGflops: 120 }, tome: [],
      unetSessionSeconds: 1.94,
      weightCast: [
        { network: 'unet', config: 'load', sessionSeconds: 95.8, loadSeconds: 96, loadPeakMiB: 6328, residentMiB: 4639, runs: [10], seconds: 10 },
        { network: 'unet', config: 'run', sessionSeconds: 1.9, loadSeconds: 2.3, loadPeakMiB: 0, residentMiB: 1987, runs: [10.5], seconds: 10.5, pairedVsLoad: 0.95 },
      ],
      firstImage: [{ cache: 'cold', weightCast: 'run', size: 512, steps: 2, seconds: 41.2, peakRssMiB: 4219 }],
    };
    const table = formatBench(r);
    expect(table).toMatch(/session start, UNet\s+1\.9 s/);
    expect(table).toMatch(/unet, weights cast at run\s+10\.50 s\/run\s+×0\.95 vs load/);
    expect(table).toMatch(/unet, weights cast at load.*session 95\.8 s, \+6\.18 GiB peak loading, \+4\.53 GiB resident/);
    expect(table).toMatch(/first image 512², 2 steps, cold, cast at run\s+41\.2 s\s+process start → PNG; whole-process peak RSS 4\.12 GiB/);
  });
});
