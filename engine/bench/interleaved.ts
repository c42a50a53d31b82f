import { TokenMerging } from '../controllers/tome/tokenMerging.ts';
import type { TokenMergingOptions } from '../controllers/tome/options.ts';
import type { PlacementOptions } from '../graph/placement.ts';
import { SessionCache } from '../graph/session.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import { loadUNet, type UNetRunner } from '../models/unet/runner.ts';
import { unetFlops } from './flops.ts';
import { peakRssMiB, resetPeakRss } from './memory.ts';
import type { UNetRow } from './run.ts';
import { median } from './median.ts';

export interface InterleavedOptions {
  sizes: number[];
  ratios: number[];
  /** Timed rounds per size; each round runs every configuration once. */
  rounds: (size: number) => number;
  tome: Partial<TokenMergingOptions>;
  threads: number;
  placement: PlacementOptions;
  log: (line: string) => void;
}

/**
 * Token-merging rows measured in rounds: every round runs merging off and every ratio once,
 * in an order rotated per round, and each ratio's speed-up is the median over rounds of
 * (off time / merged time) within the round. On a machine shared with other jobs the load
 * changes from minute to minute; pairing runs that are seconds apart cancels most of it,
 * which separate sequential rows do not. Both sessions (plain and merging — one merging
 * session serves every ratio, the ratio being a feed) stay loaded, so the peak RSS per size
 * holds two UNets.
 */
export async function interleavedTomeRows(spec: StableDiffusionSpec, o: InterleavedOptions): Promise<UNetRow[]> {
  const B = 2, T = 77;
  const cache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 2 });
  const runtime = { threads: o.threads, placement: o.placement };
  const D = spec.unet.contextDim;
  const context = new Float32Array(B * T * D).map((_, i) => Math.sin(i) * 0.5);
  const rows: UNetRow[] = [];
  try {
    const t0 = performance.now();
    const plain = await loadUNet(spec, { cache, runtime });
    const loadSeconds = (performance.now() - t0) / 1000;
    for (const size of o.sizes) {
      const h = size / 8, w = size / 8;
      const x = new Float32Array(B * 4 * h * w).map((_, i) => Math.cos(i * 0.37) * 0.5);
      const configs: { ratio: number; unet: UNetRunner; times: number[] }[] = [{ ratio: 0, unet: plain, times: [] }];
      for (const ratio of o.ratios) {
        const unet = await loadUNet(spec, { cache, runtime, controllers: [new TokenMerging({ ...o.tome, ratio })] });
        configs.push({ ratio, unet, times: [] });
      }
      const step = { index: 0, count: 1 };
      const run = async (c: (typeof configs)[number]) => {
        const t1 = performance.now();
        await c.unet.evaluate(x, [B, 4, h, w], [999, 999], context, [B, T, D], step);
        return (performance.now() - t1) / 1000;
      };
      resetPeakRss();
      // Warm-up (arenas grow on a session's first run at a size). Above 512² only once per
      // session — off and the smallest ratio, whose merged tensors are the largest — to save time.
      // Without it the first round's off run at 1024² was ~2× slower than the second.
      const smallest = [...configs.slice(1)].sort((a, b) => a.ratio - b.ratio)[0];
      for (const c of size <= 512 ? configs : [configs[0], ...(smallest ? [smallest] : [])]) await run(c);
      const rounds = o.rounds(size);
      for (let r = 0; r < rounds; r++) {
        const order = configs.map((_, i) => configs[(i + r) % configs.length]);
        for (const c of order) c.times.push(await run(c));
        o.log(`  ${size}² round ${r + 1}/${rounds}: ${configs.map((c) => `${c.ratio || 'off'} ${c.times[r].toFixed(2)} s`).join(', ')}`);
      }
      const peak = peakRssMiB();
      const off = configs[0];
      const offFlops = unetFlops(spec.unet, B, h, w, T);
      for (const c of configs) {
        const tm = c.ratio ? { ...o.tome, ratio: c.ratio } : undefined;
        const resolved = tm ? new TokenMerging(tm).options : undefined;
        const flops = resolved ? unetFlops(spec.unet, B, h, w, T, { ratio: c.ratio, maxDownsample: resolved.maxDownsample, merge: resolved.merge, window: resolved.sx * resolved.sy }) : offFlops;
        const paired = c.times.map((t, i) => off.times[i] / t);
        const row: UNetRow = {
          size, batch: B, ratio: c.ratio, seconds: median(c.times), bestSeconds: Math.min(...c.times), firstSeconds: NaN, runs: c.times,
          gflopPerStep: flops / 1e9, gflops: flops / median(c.times) / 1e9, loadSeconds, loadPeakRssMiB: NaN, peakRssMiB: peak,
          ...(c.ratio ? {
            speedup: median(paired), medianSpeedup: median(off.times) / median(c.times),
            bestSpeedup: Math.min(...off.times) / Math.min(...c.times), pairedSpeedups: paired, flopSpeedup: offFlops / flops,
          } : {}),
        };
        rows.push(row);
        if (c.ratio) {
          o.log(`UNet ${size}² ToMe ${c.ratio}: median ${row.seconds.toFixed(2)} s/step vs off ${median(off.times).toFixed(2)}: ×${row.speedup!.toFixed(2)} (paired rounds ${paired.map((p) => p.toFixed(2)).join(', ')}; ` +
            `best runs ×${row.bestSpeedup!.toFixed(2)}; FLOP count predicts ×${row.flopSpeedup!.toFixed(2)})`);
        }
      }
      o.log(`  peak RSS at ${size}² with both UNets loaded: ${(peak / 1024).toFixed(2)} GiB`);
    }
  } finally {
    await cache.clear();
  }
  return rows;
}
