import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadSDXLTextEncoders } from '../../../engine/models/clip/sdxlTextEncoder.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { SDXLSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/runner.ts';
import { SDXL_EXTRA, vectorConditioning } from '../../../engine/models/unet/vectorConditioning.ts';
import { npyToFloat32 } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, golden, goldenNpy, writeF32Copy } from './fixture.ts';

let dir: string;
let f32Path: string;
let bf16Path: string;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, cache, placement: { cacheDir: join(dir, 'graphs') } });

async function sdxl(path: string): Promise<SDXLSpec> {
  const s = await detectModel(path);
  if (s.family !== 'sdxl') throw new Error(`expected SDXL, got ${s.family}`);
  return s;
}

const ids = async (name: string) => (await goldenNpy(`text/${name}.npy`)).data as BigInt64Array;

/**
 * The checkpoints and which goldens they must match within which limit (sdxl-tiny README):
 * the upcast F32 file and the F16 file (upcast on the CPU) match `from_f16_weights/` with the
 * F32 limits; the F16 file matches the F32-weight goldens with the F16 limits.
 */
const RUNS = [
  { name: 'F32 file vs from_f16_weights', file: () => f32Path, fromF16: true, single: 1e-3 },
  { name: 'F16 file vs from_f16_weights', file: () => SDXL_TINY_F16, fromF16: true, single: 1e-3 },
  { name: 'F16 file vs F32-weight goldens', file: () => SDXL_TINY_F16, fromF16: false, single: 2e-2 },
  // The set has no BF16 limits: bfloat16 keeps 8 of float16's 11 mantissa bits, so about 8-10× the
  // F16 file's largest error (5.3e-3); measured 4.6e-2 (text), 2.6e-2 (UNet). A wrong conversion is O(1).
  { name: 'BF16 copy vs from_f16_weights', file: () => bf16Path, fromF16: true, single: 6e-2 },
] as const;

describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('SDXL golden parity (sdxl-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdxl-golden-'));
    f32Path = await writeF32Copy(dir);
    bf16Path = await writeF32Copy(dir, 'BF16');
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  for (const run of RUNS) {
    describe(run.name, () => {
      it('both text encoders: penultimate states, pooled vector and the concatenated context', async () => {
        const spec = await sdxl(run.file());
        const enc = await loadSDXLTextEncoders(spec, runtime());
        const [l, g] = [await ids('input_ids_clip_l'), await ids('input_ids_clip_g')];
        const towers = await enc.encodeTowers(l, g);
        const both = await enc.encodeIds(l, g);
        const checks: Array<[string, Float32Array, string]> = [
          ['clip_l penultimate', towers.clipL!.data, 'text/clip_l_penultimate_hidden_state.npy'],
          ['clip_g penultimate', towers.clipG.data, 'text/clip_g_penultimate_hidden_state.npy'],
          ['clip_g pooled', towers.pooled.data, 'text/clip_g_pooled.npy'],
          ['crossattn', both.context.data, 'conditioning/crossattn.npy'],
        ];
        expect(both.context.dims).toEqual([3, 77, 80]);
        expect(both.pooled.dims).toEqual([3, 40]);
        for (const [what, got, file] of checks) {
          const d = maxAbsDiff(got, await golden(file, run.fromF16));
          console.info(`[sdxl parity] ${run.name} ${what}: max abs ${d.toExponential(2)}`);
          expect(d).toBeLessThan(run.single);
        }
      });

      it('vector y from the pooled vector and the size micro-conditions, and the zeroed unconditional one', async () => {
        const pooled = { data: await golden('text/clip_g_pooled.npy', run.fromF16), dims: [3, 40] };
        const extra = Object.fromEntries(
          await Promise.all(['original_size_as_tuple', 'crop_coords_top_left', 'target_size_as_tuple'].map(async (n, i) => {
            const a = await goldenNpy(`conditioning/${n}.npy`);
            return [[SDXL_EXTRA.originalSize, SDXL_EXTRA.cropTopLeft, SDXL_EXTRA.targetSize][i], { data: npyToFloat32(a), dims: a.shape }];
          })),
        );
        const micro = ['original_size', 'crop_coords_top_left', 'target_size'] as const;
        const y = vectorConditioning({ context: { data: new Float32Array(0), dims: [3, 0, 0] }, pooled, extra }, micro, 1576, 3, 8, 8);
        const ref = await golden('conditioning/vector.npy', run.fromF16);
        const part = (a: Float32Array, from: number, to: number) => Array.from({ length: 3 }, (_, b) => Array.from(a.subarray(b * 1576 + from, b * 1576 + to))).flat();
        const dp = maxAbsDiff(part(y.data, 0, 40), part(ref, 0, 40));
        const ds = maxAbsDiff(part(y.data, 40, 1576), part(ref, 40, 1576));
        console.info(`[sdxl parity] ${run.name} y: pooled part ${dp.toExponential(2)}, size embeddings ${ds.toExponential(2)}`);
        expect(dp).toBeLessThan(run.single);
        expect(ds).toBeLessThan(1e-3);
        const uc = vectorConditioning({ context: { data: new Float32Array(0), dims: [3, 0, 0] }, pooled: { data: new Float32Array(120), dims: [3, 40] }, extra }, micro, 1576, 3, 8, 8);
        expect(maxAbsDiff(uc.data, await golden('conditioning/uc_vector.npy', run.fromF16))).toBeLessThan(1e-3);
      });

      it('UNet with y: cases 1-3 (incl. the zero unconditional context and a non-square latent)', async () => {
        const unet = await loadUNet(await sdxl(run.file()), { runtime: runtime(), cache });
        for (const n of [1, 2, 3]) {
          const [x, t, context, y] = await Promise.all(['x', 't', 'context', 'y'].map((a) => goldenNpy(`unet_case${n}/${a}.npy`)));
          const out = await unet.run(
            { data: npyToFloat32(x), dims: x.shape },
            Array.from(t.data as BigInt64Array, Number),
            { context: { data: npyToFloat32(context), dims: context.shape }, extra: { [SDXL_EXTRA.vector]: { data: npyToFloat32(y), dims: y.shape } } },
          );
          const d = maxAbsDiff(out.output, await golden(`unet_case${n}/eps.npy`, run.fromF16));
          console.info(`[sdxl parity] ${run.name} unet case${n}: max abs ${d.toExponential(2)}`);
          expect(d).toBeLessThan(run.single);
        }
      });
    });
  }
});
