import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { TokenMerging } from '../controllers/tome/tokenMerging.ts';
import type { TokenMergingOptions } from '../controllers/tome/options.ts';
import { measureMatMulGflops } from '../graph/matmulProbe.ts';
import { SessionCache } from '../graph/session.ts';
import { loadTextEncoder } from '../models/clip/textEncoder.ts';
import { detectModel } from '../models/detect.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import { loadUNet } from '../models/unet/runner.ts';
import { VAEDecoder, vaeFromSpec } from '../models/vae/vae.ts';
import { unetFlops } from './flops.ts';
import { interleavedTomeRows } from './interleaved.ts';
import { latentFactor } from '../models/vae/latent.ts';
import { peakRssMiB, resetPeakRss } from './memory.ts';
import { ensureSd15Checkpoint } from './syntheticCheckpoint.ts';
import { timeOnce, timeRuns } from './timing.ts';
import { rand } from './randomInput.ts';
import { type FirstImageRun, firstImageRows } from './firstImage.ts';
import { type WeightCastRow, weightCastRows } from './weightCastAB.ts';
import { onGraphEvent } from '../graph/events.ts';

export interface BenchOptions {
  /** Cache folder: the synthetic checkpoint, its graph files and bench-results.json. */
  dir: string;
  threads: number;
  /** Timed UNet evaluations per row at 512² (one warm-up run before). */
  repeats: number;
  /** Timed evaluations per row above 512² (no warm-up run: the session is already warm from 512²). */
  repeatsLarge: number;
  /** Skip the plain rows (MatMul is still measured). */
  tomeOnly: boolean;
  /** Token-merging rows: ratios and latent sizes in pixels; empty = none. */
  tomeRatios: number[];
  tomeSizes: number[];
  /** Extra merging settings for the ToMe rows (default tomesd's). */
  tome: Partial<TokenMergingOptions>;
  /** Token-merging rows in rounds that alternate off and every ratio (see interleaved.ts); else one row after another. */
  interleave: boolean;
  /** Rounds of the weight-cast A/B (fp16 cast per layer vs folded at load, per network); 0 = skip. */
  weightCastRounds: number;
  /** Time to first image: fresh `generate` processes, cold and warm, for both weight-cast modes. */
  firstImage: boolean;
  log: (line: string) => void;
}

export interface UNetRow {
  size: number;
  batch: number;
  ratio: number;
  /** Median of the timed runs. */
  seconds: number;
  /** Fastest timed run: the figure least disturbed by other load on a shared machine. */
  bestSeconds: number;
  firstSeconds: number;
  runs: number[];
  gflopPerStep: number;
  gflops: number;
  /** Speed-up vs merging off at the same size, measured in this run: ratio of the fastest runs. */
  speedup?: number;
  /** The same from the medians. */
  medianSpeedup?: number;
  /** Interleaved mode: fastest off run / fastest merged run, and the per-round ratios. */
  bestSpeedup?: number;
  pairedSpeedups?: number[];
  /** What the FLOP count alone predicts for the speed-up. */
  flopSpeedup?: number;
  loadSeconds: number;
  /** Peak RSS while loading (build, weights, constant folding). */
  loadPeakRssMiB: number;
  /** Peak RSS over the warm-up and timed runs, with this one UNet loaded. */
  peakRssMiB: number;
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; threads: number; node: string };
  checkpoint: { path: string; bytes: number; created: boolean; seconds: number };
  matmul: { n: number; gflops: number; bestGflops: number; atEnd?: number };
  /** ratioToMatmul: median against median; bestRatioToMatmul: fastest run against fastest MatMul. */
  unet?: UNetRow & { ratioToMatmul: number; bestGflops: number; bestRatioToMatmul: number };
  textEncoder?: { batch: number; seconds: number; loadSeconds: number; sessionSeconds: number; peakRssMiB: number };
  vaeDecode?: { size: number; seconds: number; loadSeconds: number; sessionSeconds: number; peakRssMiB: number };
  /** onnxruntime session creation of the UNet (the plain 512² row). */
  unetSessionSeconds?: number;
  weightCast?: WeightCastRow[];
  firstImage?: FirstImageRun[];
  /** Text encoder + UNet + VAE loaded together, one 512² guided step each: the app's working set. */
  peakRssMiB512?: number;
  tome: UNetRow[];
  tomeOptions?: Partial<TokenMergingOptions>;
}


/**
 * DESIGN D5: every figure measured in one process and reported against a MatMul measured
 * in the same run; every speed-up is a ratio of two runs of this process.
 */
export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const log = o.log;
  const ckpt = join(o.dir, 'sd15-random.f16.safetensors');
  let lastPct = -10;
  const made = await timeOnce(() => ensureSd15Checkpoint(ckpt, (f) => {
    const pct = Math.floor(f * 100);
    if (pct >= lastPct + 10) log(`  writing synthetic SD 1.5 checkpoint… ${(lastPct = pct)}%`);
  }));
  log(`checkpoint ${ckpt} (${(made.value.bytes / 2 ** 30).toFixed(2)} GiB, ${made.value.created ? `written in ${made.seconds.toFixed(0)} s` : 'cached'})`);
  const spec = await detectModel(ckpt);
  if (spec.family !== 'sd1') throw new StudioError('RUNTIME_FAILURE', `bench checkpoint detected as ${spec.family}, expected sd1`);

  const runtime = { intraOpNumThreads: o.threads };
  const placement = { cacheDir: join(o.dir, 'graphs') };
  const mm = await measureMatMulGflops({ n: 2048, runs: 8, runtime });
  log(`MatMul 2048² fp32: ${mm.gflops.toFixed(1)} GFLOP/s (best ${mm.bestGflops.toFixed(1)})`);
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: totalmem() / 2 ** 30, threads: o.threads, node: process.version },
    checkpoint: { path: ckpt, bytes: made.value.bytes, created: made.value.created, seconds: made.seconds },
    matmul: { n: mm.n, gflops: mm.gflops, bestGflops: mm.bestGflops },
    tome: [],
    ...(o.tomeRatios.length ? { tomeOptions: o.tome } : {}),
  };
  // Separate caches so the text encoder and VAE can be released before the UNet-only rows.
  const cache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 2 });
  const auxCache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 2 });
  const B = 2; // classifier-free guidance: [uncond, cond]
  const T = 77;
  const context = rand(B * T * 768, 2);

  const unetRow = async (size: number, ratio: number, repeats: number, baseline?: UNetRow): Promise<UNetRow> => {
    const h = size / latentFactor(spec.vae), w = h;
    const x = rand(B * 4 * h * w, 1);
    const merging = ratio > 0 ? { ...o.tome, ratio } : undefined;
    const controllers = merging ? [new TokenMerging(merging)] : [];
    resetPeakRss();
    const load = await timeOnce(async () => {
      const unet = await loadUNet(spec, { controllers, cache, runtime: { threads: o.threads, placement } });
      await unet.session(B, h, w, T);
      return unet;
    });
    const unet = load.value;
    const loadPeak = peakRssMiB();
    resetPeakRss();
    const t = await timeRuns(() => unet.evaluate(x, [B, 4, h, w], [999, 999], context, [B, T, 768], { index: 0, count: 1 }), repeats, size > 512 ? 0 : 1);
    const flops = unetFlops(spec.unet, B, h, w, T);
    const tm = controllers[0]?.options;
    const mergedFlops = tm ? unetFlops(spec.unet, B, h, w, T, { ratio, maxDownsample: tm.maxDownsample, merge: tm.merge, window: tm.sx * tm.sy }) : flops;
    const row: UNetRow = {
      size, batch: B, ratio, seconds: t.median, bestSeconds: t.best, firstSeconds: t.first, runs: t.runs,
      gflopPerStep: mergedFlops / 1e9, gflops: mergedFlops / t.median / 1e9,
      loadSeconds: load.seconds, loadPeakRssMiB: loadPeak, peakRssMiB: peakRssMiB(),
      ...(baseline ? { speedup: baseline.bestSeconds / t.best, medianSpeedup: baseline.seconds / t.median, flopSpeedup: baseline.gflopPerStep / (mergedFlops / 1e9) } : {}),
    };
    log(`UNet ${size}² batch ${B}${ratio ? ` ToMe ${ratio}` : ''}: median ${t.median.toFixed(2)} s/step, best ${t.best.toFixed(2)} (runs ${t.runs.map((r) => r.toFixed(2)).join(', ')}${Number.isNaN(t.first) ? '' : `; warm-up ${t.first.toFixed(2)}`}), ` +
      `${row.gflops.toFixed(1)} GFLOP/s${row.speedup ? `, ×${row.speedup.toFixed(2)} vs off by best runs, ×${row.medianSpeedup!.toFixed(2)} by medians (FLOP count predicts ×${row.flopSpeedup!.toFixed(2)})` : ''}, ` +
      `peak RSS ${(row.peakRssMiB / 1024).toFixed(2)} GiB running, ${(loadPeak / 1024).toFixed(2)} GiB loading (${load.seconds.toFixed(0)} s)`);
    return row;
  };

  // Seconds onnxruntime spends creating sessions, per graph name, for the session-start rows.
  const sessionSeconds = new Map<string, number>();
  const stopListening = onGraphEvent((e) => {
    if (e.kind === 'session-created') sessionSeconds.set(e.graph, (sessionSeconds.get(e.graph) ?? 0) + e.ms / 1000);
  });
  if (!o.tomeOnly) {
    // The app's working set at 512²: all three networks loaded, one pass of each.
    resetPeakRss();
    const te = await timeOnce(() => loadTextEncoder(spec, { threads: o.threads, cache: auxCache, placement }));
    const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T === 0 ? 49406 : i % T < 8 ? 320 + (i % T) : 49407));
    const teT = await timeRuns(() => te.value.encodeIds(ids, B), o.repeats);
    results.textEncoder = { batch: B, seconds: teT.median, loadSeconds: te.seconds, sessionSeconds: sessionSeconds.get('text-encoder') ?? NaN, peakRssMiB: peakRssMiB() };
    log(`text encoder (CLIP ViT-L/14, batch ${B}): ${teT.median.toFixed(3)} s`);

    const base = await unetRow(512, 0, o.repeats);
    const bestGflops = base.gflopPerStep / base.bestSeconds;
    results.unetSessionSeconds = sessionSeconds.get('unet');
    results.unet = { ...base, ratioToMatmul: base.gflops / mm.gflops, bestGflops, bestRatioToMatmul: bestGflops / mm.bestGflops };
    log(`  → ${(results.unet.ratioToMatmul * 100).toFixed(0)}% of the MatMul ceiling (medians); best run ${bestGflops.toFixed(1)} GFLOP/s = ${(results.unet.bestRatioToMatmul * 100).toFixed(0)}% of the best MatMul`);

    const vae = new VAEDecoder(vaeFromSpec(spec as StableDiffusionSpec), { cache: auxCache, runtime: { ...runtime, placement, memArena: false } }); // as the pipelines run it
    const z = { data: rand(4 * 64 * 64, 3), dims: [1, 4, 64, 64] };
    const vl = await timeOnce(() => vae.decode(z));
    const vT = await timeRuns(() => vae.decode(z), Math.max(1, o.repeats - 1), 0);
    results.vaeDecode = { size: 512, seconds: vT.median, loadSeconds: vl.seconds, sessionSeconds: sessionSeconds.get('vae-decoder') ?? NaN, peakRssMiB: peakRssMiB() };
    results.peakRssMiB512 = Math.max(results.textEncoder.peakRssMiB, base.loadPeakRssMiB, base.peakRssMiB, results.vaeDecode.peakRssMiB);
    log(`VAE decode 512²: ${vT.median.toFixed(2)} s (first call incl. build ${vl.seconds.toFixed(1)} s); peak RSS with all three networks ${(results.peakRssMiB512 / 1024).toFixed(2)} GiB`);
    if (o.tomeRatios.length && o.tomeSizes.includes(512)) results.tome.push(base);
  }
  stopListening();
  await auxCache.clear();
  if (!o.tomeOnly && o.weightCastRounds > 0) {
    await cache.clear();
    results.weightCast = await weightCastRows(spec, { threads: o.threads, placement, rounds: o.weightCastRounds, log });
  }
  if (!o.tomeOnly && o.firstImage) {
    await cache.clear();
    results.firstImage = await firstImageRows({ checkpoint: ckpt, dir: o.dir, threads: o.threads, size: 512, steps: 2 }, ['run', 'load'], log);
  }

  // Merging off at every size with the plain session, then every ratio and size with the one
  // token-merging session (the ratio is a feed): two UNet loads, one UNet in memory at a time.
  const repeatsAt = (size: number) => (size > 512 ? o.repeatsLarge : o.repeats);
  if (o.tomeRatios.length && o.interleave) {
    await cache.clear();
    results.tome = await interleavedTomeRows(spec, { sizes: o.tomeSizes, ratios: o.tomeRatios, rounds: repeatsAt, tome: o.tome, threads: o.threads, placement, log });
  } else if (o.tomeRatios.length) {
    const off = new Map<number, UNetRow>(results.tome.map((r) => [r.size, r]));
    for (const size of o.tomeSizes) {
      if (!off.has(size)) off.set(size, await unetRow(size, 0, repeatsAt(size)));
    }
    await cache.clear();
    results.tome = [];
    for (const size of o.tomeSizes) {
      results.tome.push(off.get(size)!);
      for (const ratio of o.tomeRatios) results.tome.push(await unetRow(size, ratio, repeatsAt(size), off.get(size)));
    }
  }
  await cache.clear();

  results.matmul.atEnd = (await measureMatMulGflops({ n: 2048, runs: 8, runtime })).gflops;
  log(`MatMul 2048² again at the end: ${results.matmul.atEnd.toFixed(1)} GFLOP/s`);
  return results;
}
