import { GraphBuilder } from './builder.ts';
import { type RuntimeOptions, SessionCache, runSession } from './session.ts';

export interface MatMulProbeResult {
  n: number;
  medianMs: number;
  bestMs: number;
  /** 2n³ / median time. */
  gflops: number;
  bestGflops: number;
}

/**
 * fp32 MatMul n×n·n×n through the graph builder and a normal session — the ceiling a
 * network's achieved GFLOP/s is reported against (DESIGN D5), measured in the same process.
 */
export async function measureMatMulGflops(opts: { n?: number; runs?: number; runtime?: RuntimeOptions } = {}): Promise<MatMulProbeResult> {
  const n = opts.n ?? 2048;
  const runs = opts.runs ?? 10;
  const g = new GraphBuilder({ name: `matmul-${n}` });
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output(g.op('MatMul', [a, b]), 'c');
  const cache = new SessionCache({ maxEntries: 1 });
  const s = await cache.get({ checkpoint: 'none', architecture: g.name }, () => g, { ...opts.runtime, placement: { mode: 'memory' } });
  const fill = () => Float32Array.from({ length: n * n }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const feeds = { a: { data: fill(), dims: [n, n] }, b: { data: fill(), dims: [n, n] } };
  await runSession(s, feeds); // warm-up: allocations, thread pool spin-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await runSession(s, feeds);
    times.push(performance.now() - t0);
  }
  await cache.clear();
  times.sort((x, y) => x - y);
  const flop = 2 * n ** 3;
  const medianMs = times[times.length >> 1];
  return { n, medianMs, bestMs: times[0], gflops: flop / (medianMs * 1e6), bestGflops: flop / (times[0] * 1e6) };
}
