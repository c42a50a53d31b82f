import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto, { type onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../engine/graph/builder.ts';
import * as op from '../../engine/graph/ops/index.ts';
import { SessionCache, runSession } from '../../engine/graph/session.ts';
import { type WeightCastPolicy, resolveWeightCast } from '../../engine/graph/weightCast.ts';
import { loadTextEncoder } from '../../engine/models/clip/textEncoder.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { loadUNet } from '../../engine/models/unet/runner.ts';
import { VAEDecoder, vaeFromSpec } from '../../engine/models/vae/vae.ts';
import { WeightStore } from '../../engine/models/weightStore.ts';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { maxAbsDiff, randomArray } from './reference.ts';

const { DataType } = onnxProto.onnx.TensorProto;
const RUN: WeightCastPolicy = { mode: 'run', minElements: 0 };
const LOAD: WeightCastPolicy = { mode: 'load' };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weight-cast-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The initializers of onnxruntime's optimised model: what the session holds in memory. */
function heldInitializers(path: string): Map<string, number> {
  const graph = onnxProto.onnx.ModelProto.decode(readFileSync(path)).graph as onnx.GraphProto;
  return new Map(graph.initializer.map((t) => [String(t.name), Number(t.dataType)]));
}

describe('fp16 weights cast at run time', () => {
  it('per network: convolution-only networks fold at load, the rest cast per layer; the environment overrides both', () => {
    const saved = process.env.LATENT_STUDIO_WEIGHT_CAST;
    try {
      delete process.env.LATENT_STUDIO_WEIGHT_CAST;
      expect(resolveWeightCast(undefined, 'unet:sd1').mode).toBe('run');
      expect(resolveWeightCast(undefined, 'text-encoder:sd1').mode).toBe('run');
      expect(resolveWeightCast(undefined, 'vae-decoder:first_stage_model').mode).toBe('load');
      expect(resolveWeightCast(undefined, 'taesd-decoder').mode).toBe('load');
      expect(resolveWeightCast('run', 'vae-decoder:first_stage_model').mode).toBe('run');
      process.env.LATENT_STUDIO_WEIGHT_CAST = 'load';
      expect(resolveWeightCast(undefined, 'unet:sd1').mode).toBe('load');
    } finally {
      if (saved === undefined) delete process.env.LATENT_STUDIO_WEIGHT_CAST;
      else process.env.LATENT_STUDIO_WEIGHT_CAST = saved;
    }
  });

  // x [2, 64] · Wᵀ (W [128, 64] fp16) plus a gathered fp16 embedding row.
  const weight = randomArray(128 * 64, 1, 0.5);
  const table = randomArray(10 * 128, 2, 0.5);
  const build = async () => {
    const path = join(dir, 'tiny.f16.safetensors');
    await writeSafetensors(path, { 'w': { dtype: 'F16', shape: [128, 64], data: weight }, 'emb': { dtype: 'F16', shape: [10, 128], data: table } });
    const store = WeightStore.from((await readSafetensorsHeader(path)).tensors, path);
    const g = new GraphBuilder({ name: 'tiny-cast' });
    const x = g.input('x', 'float32', ['batch', 64]);
    const ids = g.input('ids', 'int64', ['batch']);
    const y = op.add(g, op.gemm(g, x, g.weight(store.get('w')), null, { transB: true }), op.gather(g, g.weight(store.get('emb')), ids));
    g.output(y, 'y');
    return g;
  };
  const feeds = { x: { data: randomArray(2 * 64, 3), dims: [2, 64] }, ids: { data: BigInt64Array.of(3n, 7n), dims: [2] } };

  it('keeps the fp16 initializers in the session and gives the same numbers as folding at load', async () => {
    const outs: Float32Array[] = [];
    const held: Map<string, number>[] = [];
    for (const [i, policy] of [LOAD, RUN].entries()) {
      const optimized = join(dir, `optimized-${i}.onnx`);
      const cache = new SessionCache({ intraOpNumThreads: 1, weightCast: policy, placement: { mode: 'memory' } });
      // onnxruntime writes the graph it will run, after constant folding, to this file.
      const s = await cache.get({ checkpoint: `tiny-${i}`, architecture: 'tiny' }, build, { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
      outs.push((await runSession(s, feeds)).y.data as Float32Array);
      held.push(heldInitializers(optimized));
      await cache.clear();
    }
    expect(held[0].get('w')).toBeUndefined(); // folded: only the float32 copy is left
    expect([...held[0].values()].filter((t) => t === DataType.FLOAT16)).toEqual([]);
    expect(held[1].get('w')).toBe(DataType.FLOAT16);
    expect(held[1].get('emb')).toBe(DataType.FLOAT16);
    expect([...held[1].values()].filter((t) => t === DataType.FLOAT)).toEqual([]);
    expect(maxAbsDiff(outs[0], outs[1])).toBe(0);
  });
});

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const ref = async (...p: string[]) => npyToFloat32(await readNpy(tiny('golden', ...p)));

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('sd15-tiny F16 with fp16 weights in memory', () => {
  const spec = async () => (await detectModel(tiny('sd15-tiny.f16.safetensors'), { configPath: tiny('config.json') })) as StableDiffusionSpec;
  const placement = () => ({ cacheDir: join(dir, 'graphs'), mode: 'cache' as const });

  /** Text encoder, UNet case 1 and VAE decoder outputs, and the graphs' initializer dtypes. */
  async function networks(policy: WeightCastPolicy) {
    const cache = new SessionCache({ intraOpNumThreads: 1, weightCast: policy });
    const s = await spec();
    try {
      const ids = await readNpy(tiny('golden', 'text', 'input_ids.npy'));
      const te = await loadTextEncoder(s, { threads: 1, cache, placement: placement() });
      const text = (await te.encodeIds(ids.data as BigInt64Array, ids.shape[0])).data;
      const unet = await loadUNet(s, { cache, runtime: { threads: 1, placement: placement() } });
      const [x, t, context] = await Promise.all(['x', 't', 'context'].map((a) => readNpy(tiny('golden', 'unet_case1', `${a}.npy`))));
      const eps = await unet.evaluate(npyToFloat32(x), x.shape, Array.from(t.data as BigInt64Array, Number), npyToFloat32(context), context.shape);
      const z = await readNpy(tiny('golden', 'vae_decoder', 'z.npy'));
      const image = (await new VAEDecoder(vaeFromSpec(s), { cache, runtime: { intraOpNumThreads: 1, placement: placement() } }).decode({ data: npyToFloat32(z), dims: z.shape })).data as Float32Array;
      return { text, eps, image };
    } finally {
      await cache.clear();
    }
  }

  it('keeps every weight fp16 on the way in and matches the F16-weights goldens and the folded graphs', async () => {
    const run = await networks(RUN);
    const load = await networks(LOAD);
    const golden = {
      text: await ref('from_f16_weights', 'text', 'last_hidden_state.npy'),
      eps: await ref('from_f16_weights', 'unet_case1', 'eps.npy'),
      image: await ref('from_f16_weights', 'vae_decoder', 'image.npy'),
    };
    for (const k of ['text', 'eps', 'image'] as const) {
      const own = maxAbsDiff(run[k], golden[k]);
      const folded = maxAbsDiff(run[k], load[k]);
      console.info(`[weight cast] ${k}: run-time casts vs from_f16_weights ${own.toExponential(2)}, vs casts folded at load ${folded.toExponential(2)}`);
      expect(own).toBeLessThan(1e-3); // the README's F32 limit against the F16-weights goldens
      expect(folded).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(run.eps, await ref('unet_case1', 'eps.npy'))).toBeLessThan(2e-2); // F16 limit against the main golden
    // Every graph written under the run-time policy declares the checkpoint's fp16 tensors as
    // fp16 initializers, and each one reaches arithmetic through a run-time view or a gather.
    const graphs = readdirSync(join(dir, 'graphs')).filter((f) => f.endsWith('.onnx'));
    const runGraphs = graphs.map((f) => onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'graphs', f))).graph as onnx.GraphProto)
      .filter((g) => g.node.some((n) => n.opType === 'RandomUniform'));
    expect(runGraphs.map((g) => g.name).sort()).toEqual(['text-encoder', 'unet', 'vae-decoder']);
    for (const g of runGraphs) {
      const external = g.initializer.filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
      expect(external.length).toBeGreaterThan(10);
      expect(external.filter((t) => t.dataType !== DataType.FLOAT16).map((t) => t.name)).toEqual([]);
      const readers = new Map<string, string[]>();
      for (const n of g.node) for (const i of n.input ?? []) readers.set(i, [...(readers.get(i) ?? []), String(n.opType)]);
      for (const t of external) expect(readers.get(String(t.name))!.every((o) => o === 'Reshape' || o === 'Gather'), `${g.name}: ${t.name}`).toBe(true);
    }
  });
});
