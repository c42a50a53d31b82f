/**
 * Timing of one full-size SD 1.5 UNet evaluation at 512×512 (64×64 latents, batch 2) on a
 * synthesised zero-weight F16 checkpoint (a sparse file: cost does not depend on values),
 * reported as achieved GFLOP/s against a 2048² MatMul measured in the same run (DESIGN D5).
 * Not a unit test: `npx tsx test/models/unet/benchFullSize.ts [--fixed] [--threads N] [--runs N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../../engine/graph/builder.ts';
import { SessionCache, runSession } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { unetFlops } from './flops.ts';
import { sd15Shapes, syntheticKeys, writeZeroCheckpoint } from './synthetic.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const threads = arg('--threads', 2);
const runs = arg('--runs', 3);
const modes = process.argv.includes('--both') ? [false, true] : [process.argv.includes('--fixed')];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function matmulGflops(cache: SessionCache): Promise<number> {
  const n = 2048;
  const s = await cache.get({ checkpoint: 'none', architecture: 'matmul-2048' }, () => {
    const g = new GraphBuilder({ name: 'matmul' });
    g.output(g.op('MatMul', [g.input('a', 'float32', [n, n]), g.input('b', 'float32', [n, n])]), 'c');
    return g;
  }, { placement: { mode: 'memory' } });
  const a = new Float32Array(n * n).map(() => Math.random());
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    await runSession(s, { a: { data: a, dims: [n, n] }, b: { data: a, dims: [n, n] } });
    times.push((performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / median(times.slice(1)) / 1e9;
}

const dir = await mkdtemp(join(tmpdir(), 'unet-bench-'));
try {
  const file = join(dir, 'sd15-zero.f16.safetensors');
  await writeZeroCheckpoint(file, syntheticKeys('sd1', sd15Shapes()), 'F16');
  const spec = await detectModel(file);
  if (spec.family === 'taesd' || spec.family === 'pixart' || spec.family === 'sdxl') throw new Error('unexpected family');
  const [B, h, w, T] = [2, 64, 64, 77];
  const flops = unetFlops(spec.unet, B, h, w, T);
  const cache = new SessionCache({ intraOpNumThreads: threads, maxEntries: 2 });
  const x = new Float32Array(B * 4 * h * w).map(() => Math.random() - 0.5);
  const context = new Float32Array(B * T * 768).map(() => Math.random() - 0.5);
  console.log(`UNet SD 1.5 full size, batch ${B}, latent ${h}×${w}, ${T} tokens: ${(flops / 1e9).toFixed(1)} GFLOP per evaluation; ${threads} threads`);
  for (const fixedShapes of modes) {
    const t0 = performance.now();
    const unet = await loadUNet(spec, { cache, fixedShapes, runtime: { threads, placement: { cacheDir: join(dir, 'graphs') } } });
    await unet.session(B, h, w, T);
    const load = (performance.now() - t0) / 1000;
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t1 = performance.now();
      await unet.evaluate(x, [B, 4, h, w], [999, 999], context, [B, T, 768]);
      times.push((performance.now() - t1) / 1000);
    }
    const mm = await matmulGflops(cache);
    const s = median(times.slice(1));
    console.log(`${fixedShapes ? 'fixed' : 'dynamic'} shapes: build+load ${load.toFixed(1)} s, first run ${times[0].toFixed(2)} s, median of ${runs} ${s.toFixed(2)} s ` +
      `→ ${(flops / s / 1e9).toFixed(1)} GFLOP/s; MatMul 2048² in the same run ${mm.toFixed(1)} GFLOP/s (ratio ${((flops / s / 1e9) / mm).toFixed(2)})`);
    await cache.clear();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
