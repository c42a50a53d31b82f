import { mkdir, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureMatMulGflops } from '../graph/matmulProbe.ts';
import { SessionCache } from '../graph/session.ts';
import { expectedTensors, type PixArtConfig } from '../models/pixart/config.ts';
import { openPixArt } from '../models/pixart/open.ts';
import { loadPixArt } from '../models/pixart/runner.ts';
import { expectedT5Weights, type T5Config } from '../models/t5/config.ts';
import { detectT5 } from '../models/t5/detect.ts';
import { T5Encoder } from '../models/t5/encoder.ts';
import { peakRssMiB, resetPeakRss } from './memory.ts';
import { writeRandomF16Checkpoint } from './syntheticCheckpoint.ts';
import { timeOnce, timeRuns } from './timing.ts';
import { rand } from './randomInput.ts';

/** PixArt-α 512 (`PixArt-XL-2-512x512`): DiT-XL/2, 28 blocks × 1152, 16 heads, T5-XXL captions of 120 tokens. */
export const PIXART_ALPHA_512: PixArtConfig = {
  inChannels: 4, outChannels: 8, patchSize: 2, width: 1152, depth: 28, heads: 16, headsSource: 'config', mlpWidth: 4608,
  captionChannels: 4096, frequencyDim: 256, microConditions: false, sampleSize: 64, sampleSizeSource: 'config', baseSize: 32,
  interpolationScale: 1, interpolationScaleSource: 'config', nullCaptionTokens: 0,
};

/** google/t5-v1_1-xxl's encoder (ALGORITHMS-2 §2.1); `numLayers` is what the bench builds. */
export const T5_XXL: T5Config = {
  vocabSize: 32128, dModel: 4096, dKv: 64, numHeads: 64, dFf: 10240, numLayers: 24, numBuckets: 32, maxDistance: 128,
  layerNormEps: 1e-6, feedForward: 'gated-gelu', source: 't5-v1.1-default',
};

/** Multiply-add FLOPs (2 per MAC) of one PixArt evaluation: linear layers, patch embedding and both attention products. */
export function pixartFlops(c: PixArtConfig, batch: number, tokens: number, captionTokens: number): number {
  const C = c.width;
  const lin = (n: number, i: number, o: number) => 2 * batch * n * i * o;
  let f = lin(tokens, c.inChannels * c.patchSize ** 2, C) + lin(captionTokens, c.captionChannels, C) + lin(captionTokens, C, C);
  f += lin(1, c.frequencyDim, C) + lin(1, C, C) + lin(1, C, 6 * C);
  const block = lin(tokens, C, 3 * C) + 2 * 2 * batch * tokens * tokens * C + lin(tokens, C, C) // self-attention
    + lin(tokens, C, C) + lin(captionTokens, C, 2 * C) + 2 * 2 * batch * tokens * captionTokens * C + lin(tokens, C, C) // cross-attention
    + lin(tokens, C, c.mlpWidth) + lin(tokens, c.mlpWidth, C);
  return f + c.depth * block + lin(tokens, C, c.patchSize ** 2 * c.outChannels);
}

/** The same for a T5 encoder over `length` tokens (embedding lookup free; no LM head). */
export function t5Flops(c: T5Config, batch: number, length: number): number {
  const inner = c.numHeads * c.dKv;
  const perLayer = 2 * batch * length * (4 * c.dModel * inner + 3 * c.dModel * c.dFf) + 2 * 2 * batch * length * length * inner;
  return c.numLayers * perLayer;
}

const bytesOf = (keys: Map<string, number[]>) => [...keys.values()].reduce((a, s) => a + s.reduce((x, d) => x * d, 2), 0);

async function ensure(path: string, keys: Map<string, number[]>, log: (s: string) => void): Promise<boolean> {
  const existing = await stat(path).catch(() => undefined);
  if (existing && existing.size > bytesOf(keys)) return false;
  let last = -10;
  await writeRandomF16Checkpoint(path, keys, 11, (f) => {
    const pct = Math.floor(f * 100);
    if (pct >= last + 20) log(`  writing ${path}… ${(last = pct)}%`);
  });
  return true;
}


export interface PixArtBenchOptions {
  dir: string;
  threads: number;
  repeats: number;
  /** T5-XXL layers actually built (the full 24 need ~9.5 GB in fp16); time and memory are extrapolated per layer. */
  t5Layers: number;
  log: (line: string) => void;
}

export interface PixArtBenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; threads: number; node: string };
  matmul: { n: number; gflops: number; bestGflops: number; atEnd?: number };
  dit: { size: number; batch: number; seconds: number; bestSeconds: number; runs: number[]; gflopPerStep: number; gflops: number; ratioToMatmul: number; loadSeconds: number; loadPeakRssMiB: number; peakRssMiB: number; fileBytes: number };
  t5: {
    layersBuilt: number; batch: number; tokens: number; seconds: number; runs: number[]; gflops: number; loadSeconds: number; fileBytes: number;
    /** Peak RSS while loading and running T5, above `baseRssMiB` (what the process held before it). */
    peakRssMiB: number; baseRssMiB: number;
    /** Straight-line extrapolation to 24 layers: per-layer time and memory × 24 plus the fixed part (embedding, process). */
    fullSeconds: number; fullPeakRssMiB: number; fullFileBytes: number;
  };
}

/**
 * DESIGN D5 for the DiT: a full-size PixArt-α 512 transformer with random fp16 weights
 * (written once), one guided step at 512² against the MatMul ceiling of the same run, and
 * the T5-XXL encoder per prompt at full width with `t5Layers` of its 24 layers.
 */
export async function runPixArtBench(o: PixArtBenchOptions): Promise<PixArtBenchResults> {
  const { log } = o;
  const runtime = { intraOpNumThreads: o.threads };
  const placement = { cacheDir: join(o.dir, 'graphs') };
  const mm = await measureMatMulGflops({ n: 2048, runs: 8, runtime });
  log(`MatMul 2048² fp32: ${mm.gflops.toFixed(1)} GFLOP/s (best ${mm.bestGflops.toFixed(1)})`);

  // --- DiT: one guided step at 512² (batch 2 = [uncond, cond], 32² tokens, 120 caption tokens).
  const ditDir = join(o.dir, 'pixart-alpha-512', 'transformer');
  await mkdir(ditDir, { recursive: true });
  const ditFile = join(ditDir, 'diffusion_pytorch_model.safetensors');
  await ensure(ditFile, expectedTensors(PIXART_ALPHA_512), log);
  await writeFile(join(ditDir, 'config.json'), JSON.stringify({ _class_name: 'PixArtTransformer2DModel', num_attention_heads: 16, attention_head_dim: 72, sample_size: 64, interpolation_scale: 1 }));
  const B = 2, L = 120, h = 64, w = 64;
  const cache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 1 });
  resetPeakRss();
  const load = await timeOnce(async () => {
    const dit = await loadPixArt(await openPixArt(ditDir), { cache, runtime: { threads: o.threads, placement } });
    await dit.session({ batch: B, height: h, width: w, tokens: L });
    return dit;
  });
  const loadPeak = peakRssMiB();
  const x = { data: rand(B * 4 * h * w, 1), dims: [B, 4, h, w] };
  const caption = { data: rand(B * L * 4096, 2), dims: [B, L, 4096] };
  const mask = Array.from({ length: B * L }, (_, i) => (i % L < 20 ? 1 : 0));
  resetPeakRss();
  const t = await timeRuns(() => load.value.evaluate(x, [999, 999], caption, mask), o.repeats, 1);
  const flops = pixartFlops(PIXART_ALPHA_512, B, (h / 2) * (w / 2), L);
  const dit = {
    size: 512, batch: B, seconds: t.median, bestSeconds: t.best, runs: t.runs, gflopPerStep: flops / 1e9, gflops: flops / t.median / 1e9,
    ratioToMatmul: flops / t.median / 1e9 / mm.gflops, loadSeconds: load.seconds, loadPeakRssMiB: loadPeak, peakRssMiB: peakRssMiB(),
    fileBytes: (await stat(ditFile)).size,
  };
  log(`PixArt-α 512 step (batch ${B}, ${(flops / 1e9).toFixed(0)} GFLOP): median ${t.median.toFixed(2)} s, best ${t.best.toFixed(2)} = ${dit.gflops.toFixed(1)} GFLOP/s (${(dit.ratioToMatmul * 100).toFixed(0)}% of MatMul); ` +
    `peak RSS ${(dit.peakRssMiB / 1024).toFixed(2)} GiB running, ${(loadPeak / 1024).toFixed(2)} GiB loading (${load.seconds.toFixed(0)} s)`);
  await cache.clear();

  // --- T5-XXL at full width, `t5Layers` layers; one batch = prompt + negative, as the conditioner runs it.
  const t5Config = { ...T5_XXL, numLayers: o.t5Layers };
  const t5File = join(o.dir, `t5xxl-${o.t5Layers}layers.f16.safetensors`);
  await ensure(t5File, expectedT5Weights(t5Config), log);
  const t5Cache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 1 });
  // The allocator keeps some of the DiT's freed memory: T5's own share is its peak above what the process holds now.
  const baseMiB = process.memoryUsage().rss / 2 ** 20;
  resetPeakRss();
  const encoder = new T5Encoder(await detectT5(t5File), { threads: o.threads, cache: t5Cache, placement });
  const tl = await timeOnce(() => encoder.session(L));
  const ids = Array.from({ length: 2 }, (_, b) => Array.from({ length: L }, (_, i) => (i < 20 + b ? 100 + i : i === 20 + b ? 1 : 0)));
  const masks = ids.map((r) => r.map((v, i) => (v !== 0 || i === 0 ? 1 : 0)));
  const tt = await timeRuns(() => encoder.encodeIds(ids, masks), o.repeats, 1);
  const t5Peak = peakRssMiB() - baseMiB;
  const perLayerBytes = bytesOf(expectedT5Weights({ ...T5_XXL, numLayers: 2 })) - bytesOf(expectedT5Weights({ ...T5_XXL, numLayers: 1 }));
  const fileBytes = (await stat(t5File)).size;
  const scale = T5_XXL.numLayers / o.t5Layers;
  const t5 = {
    layersBuilt: o.t5Layers, batch: 2, tokens: L, seconds: tt.median, runs: tt.runs, gflops: t5Flops(t5Config, 2, L) / tt.median / 1e9,
    loadSeconds: tl.seconds, peakRssMiB: t5Peak, baseRssMiB: baseMiB, fileBytes,
    fullSeconds: tt.median * scale,
    // fp16 weights stay fp16 in memory (cast at run time), so memory grows by the added layers' bytes.
    fullPeakRssMiB: t5Peak + ((T5_XXL.numLayers - o.t5Layers) * perLayerBytes) / 2 ** 20,
    fullFileBytes: fileBytes + (T5_XXL.numLayers - o.t5Layers) * perLayerBytes,
  };
  log(`T5-XXL ${o.t5Layers}/24 layers (batch 2 × ${L} tokens): ${tt.median.toFixed(2)} s, ${t5.gflops.toFixed(1)} GFLOP/s, peak RSS +${(t5Peak / 1024).toFixed(2)} GiB over ${(baseMiB / 1024).toFixed(2)} GiB held; ` +
    `24 layers extrapolated: ${t5.fullSeconds.toFixed(1)} s, ${(t5.fullPeakRssMiB / 1024).toFixed(1)} GiB (${(t5.fullFileBytes / 2 ** 30).toFixed(1)} GiB of fp16 weights)`);
  await t5Cache.clear();

  const atEnd = (await measureMatMulGflops({ n: 2048, runs: 8, runtime })).gflops;
  log(`MatMul 2048² again at the end: ${atEnd.toFixed(1)} GFLOP/s`);
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: totalmem() / 2 ** 30, threads: o.threads, node: process.version },
    matmul: { n: mm.n, gflops: mm.gflops, bestGflops: mm.bestGflops, atEnd },
    dit,
    t5,
  };
}
