import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointIdentity } from '../../../engine/graph/identity.ts';
import { GraphBuilder } from '../../../engine/graph/builder.ts';
import { SessionCache, runSession } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet, timeEmbedding, timestepSinusoid, unetDebugModule } from '../../../engine/models/unet/index.ts';
import { type NpyArray, npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const CONFIG = tiny('config.json');
const CASES = [1, 2, 3] as const;
let dir: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

async function sd(file: string): Promise<StableDiffusionSpec> {
  const s = await detectModel(tiny(file), { configPath: CONFIG });
  if (s.family === 'taesd' || s.family === 'pixart' || s.family === 'sdxl') throw new Error('expected Stable Diffusion');
  return s;
}

async function unetCase(n: number) {
  const d = tiny('golden', `unet_case${n}`);
  const [x, t, context] = await Promise.all(['x', 't', 'context'].map((a) => readNpy(join(d, `${a}.npy`))));
  return { x, t, context };
}

const ref = async (...p: string[]) => npyToFloat32(await readNpy(tiny('golden', ...p)));

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('UNet golden parity (sd15-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'unet-golden-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  const evaluate = async (file: string, kernel: 'fused' | 'explicit' = 'fused') => {
    const unet = await loadUNet(await sd(file), { runtime: runtime(), cache, kernel });
    const outs: Float32Array[] = [];
    for (const n of CASES) {
      const { x, t, context } = await unetCase(n);
      outs.push(await unet.evaluate(npyToFloat32(x), x.shape, Array.from(t.data as BigInt64Array, Number), npyToFloat32(context), context.shape));
    }
    return outs;
  };

  it('F32 checkpoint: cases 1-3 (incl. non-square) within 1e-3 of ldm', async () => {
    const outs = await evaluate('sd15-tiny.f32.safetensors');
    for (const [i, n] of CASES.entries()) {
      const d = maxAbsDiff(outs[i], await ref(`unet_case${n}`, 'eps.npy'));
      console.info(`[unet parity] f32 case${n}: max abs ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-3);
    }
  });

  it('F16 checkpoint: within 1e-3 of the F16-weights golden, 2e-2 of the main golden', async () => {
    const outs = await evaluate('sd15-tiny.f16.safetensors');
    for (const [i, n] of CASES.entries()) {
      const own = maxAbsDiff(outs[i], await ref('from_f16_weights', `unet_case${n}`, 'eps.npy'));
      const main = maxAbsDiff(outs[i], await ref(`unet_case${n}`, 'eps.npy'));
      console.info(`[unet parity] f16 case${n}: vs from_f16_weights ${own.toExponential(2)}, vs main ${main.toExponential(2)}`);
      expect(own).toBeLessThan(1e-3);
      expect(main).toBeLessThan(2e-2);
    }
  });

  it('fused and explicit attention kernels agree within 1e-4', async () => {
    const fused = await evaluate('sd15-tiny.f32.safetensors', 'fused');
    const explicit = await evaluate('sd15-tiny.f32.safetensors', 'explicit');
    for (const i of CASES.keys()) {
      const d = maxAbsDiff(fused[i], explicit[i]);
      console.info(`[unet parity] fused vs explicit case${i + 1}: ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
    }
  });

  it('time embedding sub-graph: sinusoid within 1e-4, time_embed MLP within 1e-3 (F32 and F16 weights)', async () => {
    const t = await readNpy(tiny('golden', 'timestep_embedding', 't.npy'));
    for (const [file, gold] of [['sd15-tiny.f32.safetensors', []], ['sd15-tiny.f16.safetensors', ['from_f16_weights']]] as const) {
      const spec = await sd(file);
      const w = spec.weights.scope('model.diffusion_model');
      const s = await cache.get({ checkpoint: checkpointIdentity(w.files()), architecture: 'unet-time-embed' }, (ctx) => {
        const g = new GraphBuilder({ name: 'time-embed', computeType: ctx.computeType });
        const ti = g.input('t', 'int64', ['batch']);
        g.output(timestepSinusoid(g, ti, spec.unet.modelChannels), 'sinusoid');
        g.output(timeEmbedding(g, w, ti), 'emb');
        return g;
      }, { placement: { cacheDir: join(dir, 'graphs') } });
      const out = await runSession(s, { t: { data: t.data as BigInt64Array, dims: t.shape } });
      const sin = maxAbsDiff(out.sinusoid.data as Float32Array, await ref(...gold, 'timestep_embedding', 'sinusoidal.npy'));
      const mlp = maxAbsDiff(out.emb.data as Float32Array, await ref(...gold, 'timestep_embedding', 'time_embed_mlp.npy'));
      console.info(`[unet parity] ${file} sinusoid ${sin.toExponential(2)}, time_embed ${mlp.toExponential(2)}`);
      expect(sin).toBeLessThan(1e-4);
      expect(mlp).toBeLessThan(1e-3);
    }
  });

  it('debug module: golden .npy in (int64 t), eps out', async () => {
    process.env.LATENT_STUDIO_GRAPH_CACHE = join(dir, 'debug-graphs');
    process.env.LATENT_STUDIO_THREADS = '1';
    const run = await unetDebugModule.load(tiny('sd15-tiny.f32.safetensors'), CONFIG);
    const { x, t, context } = await unetCase(3);
    const out: NpyArray = await run(new Map([['x', x], ['t', t], ['context', context]]));
    expect(out).toMatchObject({ dtype: '<f4', shape: [1, 4, 8, 16] });
    expect(maxAbsDiff(out.data as Float32Array, await ref('unet_case3', 'eps.npy'))).toBeLessThan(1e-3);
    expect(unetDebugModule.inputs.map((i) => i.name)).toEqual(['x', 't', 'context']);
  });
});
