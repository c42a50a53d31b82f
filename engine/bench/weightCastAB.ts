import { readFileSync } from 'node:fs';
import { onGraphEvent } from '../graph/events.ts';
import type { PlacementOptions } from '../graph/placement.ts';
import { SessionCache } from '../graph/session.ts';
import { DEFAULT_WEIGHT_CAST, type WeightCastPolicy } from '../graph/weightCast.ts';
import { loadTextEncoder } from '../models/clip/textEncoder.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import { loadUNet } from '../models/unet/runner.ts';
import { VAEDecoder, vaeFromSpec } from '../models/vae/vae.ts';
import { median } from './median.ts';
import { peakRssMiB, resetPeakRss } from './memory.ts';

export interface WeightCastConfig {
  label: string;
  policy: WeightCastPolicy;
}

/** fp16 weights folded to float32 at load (the old behaviour), cast per layer, and cast per layer except convolutions. */
export const WEIGHT_CAST_CONFIGS: readonly WeightCastConfig[] = [
  { label: 'load', policy: { ...DEFAULT_WEIGHT_CAST, mode: 'load' } },
  { label: 'run', policy: { ...DEFAULT_WEIGHT_CAST, mode: 'run' } },
  { label: 'run, Conv at load', policy: { ...DEFAULT_WEIGHT_CAST, mode: 'run', loadFor: ['Conv'] } },
];

export interface WeightCastRow {
  network: 'text-encoder' | 'unet' | 'vae-decoder';
  config: string;
  /** onnxruntime session creation (load, optimisation, constant folding). */
  sessionSeconds: number;
  /** Loading as a whole: graph build and file, session, and for the VAE (which compiles on first use) its first decode. */
  loadSeconds: number;
  /** Peak RSS growth while the session was created, and resident growth after the first run. */
  loadPeakMiB: number;
  residentMiB: number;
  runs: number[];
  seconds: number;
  /** Median over rounds of (time of the `load` config / time of this one) within the round: > 1 = faster. */
  pairedVsLoad?: number;
}

export interface WeightCastABOptions {
  threads: number;
  placement: PlacementOptions;
  rounds: number;
  configs?: readonly WeightCastConfig[];
  networks?: readonly WeightCastRow['network'][];
  log: (line: string) => void;
}

function residentMiB(): number {
  try {
    const m = /VmRSS:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss / 2 ** 20;
}

function signal(n: number, k: number): Float32Array {
  return new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + k) * 0.5);
}

/**
 * Where fp16 weights should become float32, measured: each network is loaded once per
 * configuration (its own session cache), then evaluated in rounds that run every
 * configuration once in a rotated order; the speed figure is the per-round ratio against
 * `load`, so minute-to-minute load from other jobs on the machine cancels out.
 */
export async function weightCastRows(spec: StableDiffusionSpec, o: WeightCastABOptions): Promise<WeightCastRow[]> {
  const configs = o.configs ?? WEIGHT_CAST_CONFIGS;
  const rows: WeightCastRow[] = [];
  const B = 2, T = 77, D = spec.unet.contextDim;
  for (const network of o.networks ?? ['text-encoder', 'unet', 'vae-decoder'] as const) {
    const loaded: { config: WeightCastConfig; cache: SessionCache; run: () => Promise<unknown>; row: WeightCastRow }[] = [];
    try {
      for (const config of configs) {
        const cache = new SessionCache({ intraOpNumThreads: o.threads, weightCast: config.policy, maxEntries: 1 });
        const before = residentMiB();
        resetPeakRss();
        let sessionSeconds = 0;
        const off = onGraphEvent((e) => { if (e.kind === 'session-created') sessionSeconds += e.ms / 1000; });
        const t0 = performance.now();
        const run = await loadNetwork(network, spec, cache, o, { B, T, D }).finally(off);
        const row: WeightCastRow = {
          network, config: config.label, sessionSeconds, loadSeconds: (performance.now() - t0) / 1000, loadPeakMiB: peakRssMiB() - before, residentMiB: NaN, runs: [], seconds: NaN,
        };
        await run(); // warm-up: arenas grow on the first run, and mapped weights are read in
        row.residentMiB = residentMiB() - before;
        o.log(`  ${network} [${config.label}]: session ${sessionSeconds.toFixed(1)} s (load ${row.loadSeconds.toFixed(1)} s), +${(row.loadPeakMiB / 1024).toFixed(2)} GiB peak while loading, +${(row.residentMiB / 1024).toFixed(2)} GiB resident after one run`);
        loaded.push({ config, cache, run, row });
      }
      for (let r = 0; r < o.rounds; r++) {
        const order = loaded.map((_, i) => loaded[(i + r) % loaded.length]);
        for (const l of order) {
          const t0 = performance.now();
          await l.run();
          l.row.runs.push((performance.now() - t0) / 1000);
        }
        o.log(`  ${network} round ${r + 1}/${o.rounds}: ${loaded.map((l) => `${l.config.label} ${l.row.runs[r].toFixed(2)} s`).join(', ')}`);
      }
      const base = loaded.find((l) => l.config.policy.mode === 'load');
      for (const l of loaded) {
        l.row.seconds = median(l.row.runs);
        if (base && l !== base) l.row.pairedVsLoad = median(l.row.runs.map((t, i) => base.row.runs[i] / t));
        rows.push(l.row);
      }
    } finally {
      for (const l of loaded) await l.cache.clear();
    }
  }
  return rows;
}

async function loadNetwork(
  network: WeightCastRow['network'], spec: StableDiffusionSpec, cache: SessionCache, o: WeightCastABOptions, d: { B: number; T: number; D: number },
): Promise<() => Promise<unknown>> {
  const { B, T, D } = d;
  if (network === 'text-encoder') {
    const te = await loadTextEncoder(spec, { threads: o.threads, cache, placement: o.placement });
    const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T === 0 ? 49406 : i % T < 8 ? 320 + (i % T) : 49407));
    return () => te.encodeIds(ids, B);
  }
  if (network === 'unet') {
    const unet = await loadUNet(spec, { cache, runtime: { threads: o.threads, placement: o.placement } });
    await unet.session(B, 64, 64, T);
    const x = signal(B * 4 * 64 * 64, 1), context = signal(B * T * D, 2);
    return () => unet.evaluate(x, [B, 4, 64, 64], [999, 999], context, [B, T, D], { index: 0, count: 1 });
  }
  const vae = new VAEDecoder(vaeFromSpec(spec), { cache, runtime: { intraOpNumThreads: o.threads, placement: o.placement, memArena: false } });
  const z = { data: signal(4 * 64 * 64, 3), dims: [1, 4, 64, 64] };
  await vae.decode(z); // the VAE compiles on its first decode
  return () => vae.decode(z);
}
