import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import onnxProto, { type onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { GraphBuilder, type Value } from '../../engine/graph/builder.ts';
import { type GraphEvent, onGraphEvent } from '../../engine/graph/events.ts';
import { checkpointIdentity } from '../../engine/graph/identity.ts';
import * as op from '../../engine/graph/ops/index.ts';
import type { PlacementOptions } from '../../engine/graph/placement.ts';
import { SessionCache, runSession } from '../../engine/graph/session.ts';
import { WeightStore } from '../../engine/models/weightStore.ts';
import { conv2d, groupNorm, linear } from '../../engine/nn/index.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../engine/safetensors/halfFloat.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { conv2dRef, groupNormRef, linearRef, maxAbsDiff, randomArray, roundTo, silu } from './reference.ts';

const W = {
  conv: randomArray(4 * 3 * 9, 1, 0.5), convB: randomArray(4, 2, 0.1),
  gamma: randomArray(4, 3, 0.1).map((v) => 1 + v), beta: randomArray(4, 4, 0.1),
  proj: randomArray(5 * 4, 5, 0.5), projB: randomArray(5, 6, 0.1),
};
const X = randomArray(1 * 3 * 6 * 6, 7);

/** x [1,3,6,6] → conv 3x3 → GroupNorm(2) → SiLU → tokens [1,36,4] → linear → [1,36,5]. */
function reference(round: (a: Float32Array) => Float32Array): Float32Array {
  const c = conv2dRef(X, [1, 3, 6, 6], round(W.conv), [4, 3, 3, 3], round(W.convB), 1);
  const n = groupNormRef(c.data, c.dims, 2, round(W.gamma), round(W.beta), 1e-5).map(silu);
  const tokens = new Float32Array(36 * 4);
  for (let ch = 0; ch < 4; ch++) for (let p = 0; p < 36; p++) tokens[p * 4 + ch] = n[ch * 36 + p];
  return linearRef(tokens, 36, round(W.proj), 5, 4, round(W.projB));
}

async function writeCheckpoint(path: string, dtype: 'F32' | 'F16' | 'BF16'): Promise<WeightStore> {
  const t = (shape: number[], data: Float32Array) => ({ dtype, shape, data });
  await writeSafetensors(path, {
    'net.conv.weight': t([4, 3, 3, 3], W.conv), 'net.conv.bias': t([4], W.convB),
    'net.norm.weight': t([4], W.gamma), 'net.norm.bias': t([4], W.beta),
    'net.proj.weight': t([5, 4], W.proj), 'net.proj.bias': t([5], W.projB),
  });
  const header = await readSafetensorsHeader(path);
  return WeightStore.from(header.tensors, path);
}

function buildTiny(store: WeightStore, computeType: 'float32' | 'float16', channels: number | string = 3): GraphBuilder {
  const g = new GraphBuilder({ name: 'tiny', computeType });
  const w = store.scope('net');
  const x = g.input('x', 'float32', ['batch', channels, 'h', 'w']);
  let h: Value = conv2d(g, w.scope('conv'), x);
  h = op.silu(g, groupNorm(g, w.scope('norm'), h, { groups: 2 }));
  const tokens = op.transpose(g, op.reshape(g, h, [0, 0, -1]), [0, 2, 1]);
  g.output(linear(g, w.scope('proj'), tokens), 'y');
  return g;
}

function readGraph(path: string): { initializer: onnx.TensorProto[]; node: onnx.NodeProto[] } {
  const graph = onnxProto.onnx.ModelProto.decode(readFileSync(path)).graph!;
  return { initializer: graph.initializer as onnx.TensorProto[], node: graph.node as onnx.NodeProto[] };
}

let dir: string;
const events: GraphEvent[] = [];
let unsubscribe: () => void;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'graph-builder-'));
  mkdirSync(join(dir, 'rw'));
  mkdirSync(join(dir, 'ro'));
  unsubscribe = onGraphEvent((e) => events.push(e));
});
afterAll(async () => {
  unsubscribe();
  chmodSync(join(dir, 'ro'), 0o755);
  await rm(dir, { recursive: true, force: true });
});

async function compileAndRun(store: WeightStore, placement: PlacementOptions, cache = new SessionCache({ intraOpNumThreads: 1 })) {
  const file = store.files()[0];
  const s = await cache.get({ checkpoint: checkpointIdentity([file]), architecture: 'tiny' }, (ctx) => buildTiny(store, ctx.computeType), { placement });
  const out = await runSession(s, { x: { data: X, dims: [1, 3, 6, 6] } });
  expect(out.y.dims).toEqual([1, 36, 5]);
  return { s, y: out.y.data as Float32Array, cache };
}

describe('graph builder with external-data weights', () => {
  it('F32 checkpoint: graph beside the checkpoint, matches the JS reference; second get is a cache hit', async () => {
    const sub = join(dir, 'rw');
    const store = await writeCheckpoint(join(sub, 'tiny.safetensors'), 'F32');
    const cacheDir = join(dir, 'cache-a');
    const { s, y, cache } = await compileAndRun(store, { cacheDir });
    expect(s.graph.mode).toBe('beside');
    expect(dirname(s.graph.modelPath!)).toBe(sub);
    expect(basename(s.graph.modelPath!)).toMatch(/^\.tiny\.safetensors\.tiny\.[0-9a-f]{16}\.onnx$/);
    expect(maxAbsDiff(y, reference((a) => a))).toBeLessThan(1e-5);

    let built = 0;
    const again = await cache.get({ checkpoint: checkpointIdentity(store.files()), architecture: 'tiny' }, (ctx) => { built++; return buildTiny(store, ctx.computeType); }, { placement: { cacheDir } });
    expect(again).toBe(s);
    expect(built).toBe(0);
    expect(cache.hits).toBe(1);
    const other = await cache.get({ checkpoint: checkpointIdentity(store.files()), architecture: 'tiny', shapes: '1x3x6x6' }, (ctx) => { built++; return buildTiny(store, ctx.computeType); }, { placement: { cacheDir } });
    expect(other).not.toBe(s);
    expect(built).toBe(1);
    expect(cache.misses).toBe(2);
    await cache.clear();
  });

  it('F16 checkpoint: fp16 initializers pointing into the file, Cast to fp32, same numbers as fp16-rounded weights', async () => {
    const store = await writeCheckpoint(join(dir, 'rw', 'tiny16.safetensors'), 'F16');
    const { s, y } = await compileAndRun(store, { cacheDir: join(dir, 'cache-a') });
    const graph = readGraph(s.graph.modelPath!);
    const init = graph.initializer.find((t) => t.name === 'net.conv.weight')!;
    const info = store.get('net.conv.weight');
    expect(init.dataType).toBe(onnxProto.onnx.TensorProto.DataType.FLOAT16);
    expect(init.rawData.length).toBe(0);
    expect(Object.fromEntries(init.externalData.map((e) => [e.key, e.value]))).toEqual({
      location: 'tiny16.safetensors', offset: String(info.offset), length: String(info.byteLength),
    });
    expect(graph.node.some((n) => n.opType === 'Cast' && n.input[0] === 'net.conv.weight')).toBe(true);
    expect(graph.node.some((n) => n.name === 'net.conv' && n.opType === 'Conv')).toBe(true);
    expect(maxAbsDiff(y, reference((a) => roundTo(a, f32ToF16, f16ToF32)))).toBeLessThan(1e-5);
  });

  it('BF16 checkpoint: converted once to a cached float32 file, and the event says so', async () => {
    const store = await writeCheckpoint(join(dir, 'rw', 'tinybf.safetensors'), 'BF16');
    const cacheDir = join(dir, 'cache-bf16');
    const { s, y } = await compileAndRun(store, { cacheDir });
    expect(s.graph.mode).toBe('cache');
    const conv = events.filter((e) => e.kind === 'bf16-converted');
    expect(conv).toHaveLength(1);
    expect(maxAbsDiff(y, reference((a) => roundTo(a, f32ToBf16, bf16ToF32)))).toBeLessThan(1e-5);
    await compileAndRun(store, { cacheDir }); // a fresh cache: the converted file is reused
    expect(events.filter((e) => e.kind === 'bf16-converted')).toHaveLength(1);
  });

  it('read-only checkpoint folder: graph in the cache folder with a hard link, no copy', async () => {
    const ro = join(dir, 'ro');
    const store = await writeCheckpoint(join(ro, 'tiny.safetensors'), 'F32');
    chmodSync(ro, 0o555); // root ignores mode bits for access(); the placement must not
    const cacheDir = join(dir, 'cache-ro');
    const { s, y } = await compileAndRun(store, { cacheDir });
    expect(s.graph.mode).toBe('cache');
    expect(dirname(s.graph.modelPath!)).toBe(cacheDir);
    const location = readGraph(s.graph.modelPath!).initializer.find((t) => t.name === 'net.proj.weight')!.externalData.find((e) => e.key === 'location')!.value!;
    expect(statSync(join(cacheDir, location)).ino).toBe(statSync(join(ro, 'tiny.safetensors')).ino);
    expect(maxAbsDiff(y, reference((a) => a))).toBeLessThan(1e-5);

    const forced = await compileAndRun(store, { cacheDir, readOnlyDirs: [ro], mode: 'auto' });
    expect(forced.s.graph.mode).toBe('cache');
  });

  it('no writable folder at all: in-memory external data', async () => {
    const store = await writeCheckpoint(join(dir, 'rw', 'tinymem.safetensors'), 'F32');
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const { s, y } = await compileAndRun(store, { cacheDir: join(blocker, 'graphs'), readOnlyDirs: [join(dir, 'rw')] });
    expect(s.graph.mode).toBe('memory');
    expect(s.graph.externalData![0].data.byteLength).toBeLessThan(statSync(join(dir, 'rw', 'tinymem.safetensors')).size);
    expect(maxAbsDiff(y, reference((a) => a))).toBeLessThan(1e-5);
  });

  it.skipIf(!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(tmpdir()).dev)('hard link impossible (cache on another filesystem): in-memory external data', async () => {
    const store = await writeCheckpoint(join(dir, 'rw', 'tinyxdev.safetensors'), 'F32');
    const shm = await mkdtemp('/dev/shm/graph-cache-');
    try {
      const seen = events.length;
      const { s, y } = await compileAndRun(store, { cacheDir: shm, readOnlyDirs: [join(dir, 'rw')] });
      expect(s.graph.mode).toBe('memory');
      const reason = events.slice(seen).find((e) => e.kind === 'graph-placement' && e.mode === 'memory');
      expect(reason && 'reason' in reason ? reason.reason : '').toMatch(/EXDEV|cross-device/);
      expect(maxAbsDiff(y, reference((a) => a))).toBeLessThan(1e-5);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it('runtime errors name the checkpoint key of the failing node', async () => {
    const store = await writeCheckpoint(join(dir, 'rw', 'tinyerr.safetensors'), 'F32');
    const cache = new SessionCache({ intraOpNumThreads: 1 });
    const s = await cache.get({ checkpoint: 'x', architecture: 'tiny' }, (ctx) => buildTiny(store, ctx.computeType, 'c'), { placement: { cacheDir: join(dir, 'cache-a') } });
    const err = await runSession(s, { x: { data: new Float32Array(2 * 36), dims: [1, 2, 6, 6] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).message).toContain('net.conv');
  });
});

describe('op helpers', () => {
  async function run(g: GraphBuilder, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
    const cache = new SessionCache({ intraOpNumThreads: 1 });
    const s = await cache.get({ checkpoint: 'none', architecture: g.name }, () => g, { placement: { mode: 'memory' } });
    return runSession(s, feeds);
  }

  it('fused (MultiHeadAttention), opset-23 Attention and explicit softmax agree', async () => {
    const [B, S, L, H, d] = [2, 10, 7, 2, 8];
    const q = randomArray(B * S * H * d, 11), k = randomArray(B * L * H * d, 12), v = randomArray(B * L * H * d, 13);
    const results: Float32Array[] = [];
    for (const kernel of ['fused', 'onnx', 'explicit'] as const) {
      const g = new GraphBuilder({ name: `attn-${kernel}` });
      const [Q, K, V] = (['q', 'k', 'v'] as const).map((n, i) => g.input(n, 'float32', ['b', i ? 'l' : 's', H * d]));
      g.output(op.attention(g, Q, K, V, d, { heads: H, kernel }), 'o');
      const out = await run(g, { q: { data: q, dims: [B, S, H * d] }, k: { data: k, dims: [B, L, H * d] }, v: { data: v, dims: [B, L, H * d] } });
      expect(out.o.dims).toEqual([B, S, H * d]);
      results.push(out.o.data as Float32Array);
    }
    expect(maxAbsDiff(results[0], results[2])).toBeLessThan(1e-5);
    expect(maxAbsDiff(results[1], results[2])).toBeLessThan(1e-5);
  });

  it('upsampleNearest repeats pixels like torch nearest', async () => {
    const g = new GraphBuilder({ name: 'up' });
    const x = g.input('x', 'float32', [1, 1, 2, 3]);
    g.output(op.upsampleNearest(g, x, 2), 'y');
    const out = await run(g, { x: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [1, 1, 2, 3] } });
    expect(out.y.dims).toEqual([1, 1, 4, 6]);
    expect(Array.from(out.y.data as Float32Array).slice(0, 12)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });
});
