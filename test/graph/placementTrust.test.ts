import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../engine/graph/builder.ts';
import { materializeGraph } from '../../engine/graph/placement.ts';
import { SessionCache, runSession } from '../../engine/graph/session.ts';
import { WeightStore } from '../../engine/models/weightStore.ts';
import { linear } from '../../engine/nn/index.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';

const WEIGHT = Float32Array.from([1, 2, 3, 4, 5, 6]); // [3, 2]
const BIAS = Float32Array.from([0.5, -1, 2]);
const X = Float32Array.from([1, -1]);
const EXPECTED = [1 - 2 + 0.5, 3 - 4 - 1, 5 - 6 + 2];

async function checkpoint(path: string): Promise<WeightStore> {
  await writeSafetensors(path, {
    'p.weight': { dtype: 'F32', shape: [3, 2], data: WEIGHT },
    'p.bias': { dtype: 'F32', shape: [3], data: BIAS },
  });
  return WeightStore.from((await readSafetensorsHeader(path)).tensors, path);
}

function build(store: WeightStore): GraphBuilder {
  const g = new GraphBuilder({ name: 'lin', computeType: 'float32' });
  g.output(linear(g, store.scope('p'), g.input('x', 'float32', [1, 2])), 'y');
  return g;
}

async function run(store: WeightStore, cacheDir: string): Promise<{ y: number[]; mode: string; path?: string }> {
  const cache = new SessionCache({ intraOpNumThreads: 1 });
  const s = await cache.get({ checkpoint: `${Math.random()}`, architecture: 'lin' }, () => build(store), { placement: { cacheDir } });
  const out = await runSession(s, { x: { data: X, dims: [1, 2] } });
  await cache.clear();
  return { y: [...(out.y.data as Float32Array)], mode: s.graph.mode, path: s.graph.modelPath };
}

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ls-place-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('graph placement trust and links', () => {
  it('a symlinked checkpoint in another folder loads (issue 23 item 4)', async () => {
    mkdirSync(join(dir, 'store'));
    mkdirSync(join(dir, 'models'));
    await checkpoint(join(dir, 'store', 'real.safetensors'));
    const link = join(dir, 'models', 'linked.safetensors');
    symlinkSync(join(dir, 'store', 'real.safetensors'), link);
    const store = WeightStore.from((await readSafetensorsHeader(link)).tensors, link);
    const r = await run(store, join(dir, 'cache-link'));
    expect(r.y.map((v) => Math.round(v * 1000) / 1000)).toEqual(EXPECTED);
    // beside the real file, which the graph's external-data location can reach
    expect(dirname(r.path!)).toBe(join(dir, 'store'));
  });

  it('a same-size tampered cached graph is rebuilt, not executed (issue 23 item 8)', async () => {
    mkdirSync(join(dir, 'plain'));
    const store = await checkpoint(join(dir, 'plain', 'm.safetensors'));
    const first = await materializeGraph(build(store), { cacheDir: join(dir, 'cache-t') });
    const good = readFileSync(first.modelPath!);
    // Same size, different bytes: flip the last bytes (the graph's output name lives there).
    const bad = Buffer.from(good);
    for (let i = bad.length - 4; i < bad.length; i++) bad[i] ^= 0xff;
    writeFileSync(first.modelPath!, bad);
    expect(statSync(first.modelPath!).size).toBe(good.length);
    const again = await materializeGraph(build(store), { cacheDir: join(dir, 'cache-t') });
    expect(again.modelPath).toBe(first.modelPath);
    expect(readFileSync(again.modelPath!).equals(good)).toBe(true);
    const r = await run(store, join(dir, 'cache-t'));
    expect(r.y.map((v) => Math.round(v * 1000) / 1000)).toEqual(EXPECTED);
  });
});
