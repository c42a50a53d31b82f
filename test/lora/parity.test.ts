import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../engine/graph/session.ts';
import { DEFAULT_LORA_MODE, type LoraMode } from '../../engine/lora/adapters.ts';
import { applyLoras } from '../../engine/lora/apply.ts';
import { loadTextEncoder } from '../../engine/models/clip/index.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { loadUNet } from '../../engine/models/unet/index.ts';
import { type NpyArray, npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const set = (...p: string[]) => sharedPath('golden', 'lora-sd15', ...p);
const FILES = ['locon', 'lora', 'peft', 'loha'] as const;
const SCALES = [[1, 'scale_1'], [0.6, 'scale_0p6']] as const;
const LIMIT = 1e-3; // the set's README: F32 base checkpoint in float32, merged or at run time

let dir: string;
let spec: StableDiffusionSpec;
let ids: NpyArray;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
const cases: Array<{ x: NpyArray; t: number[]; context: NpyArray }> = [];

async function unetEps(file: string | null, scale: number, mode: LoraMode = DEFAULT_LORA_MODE): Promise<Float32Array[]> {
  const applied = file ? await applyLoras(spec, [{ path: set(`sd15-tiny.${file}.safetensors`), scale }], mode) : undefined;
  const unet = await loadUNet(spec, { runtime: runtime(), cache, lora: applied?.unet });
  const out: Float32Array[] = [];
  for (const c of cases) out.push(await unet.evaluate(npyToFloat32(c.x), c.x.shape, c.t, npyToFloat32(c.context), c.context.shape));
  return out;
}

async function text(file: string | null, scale: number, mode: LoraMode = DEFAULT_LORA_MODE): Promise<Float32Array> {
  const applied = file ? await applyLoras(spec, [{ path: set(`sd15-tiny.${file}.safetensors`), scale }], mode) : undefined;
  const enc = await loadTextEncoder(spec, { ...runtime(), cache, lora: applied?.text });
  return (await enc.encodeIds(ids.data as BigInt64Array, 3)).data;
}

const golden = async (file: string, scaleDir: string, ...p: string[]) => npyToFloat32(await readNpy(set('golden', file, scaleDir, ...p)));

describe.skipIf(!hasShared('golden', 'lora-sd15'))('LoRA parity with lora-sd15 (sd15-tiny, F32)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lora-parity-'));
    spec = (await detectModel(tiny('sd15-tiny.f32.safetensors'), { configPath: tiny('config.json') })) as StableDiffusionSpec;
    ids = await readNpy(tiny('golden', 'text', 'input_ids.npy'));
    for (const n of [1, 2, 3]) {
      const d = tiny('golden', `unet_case${n}`);
      const [x, t, context] = await Promise.all(['x', 't', 'context'].map((a) => readNpy(join(d, `${a}.npy`))));
      cases.push({ x, t: Array.from(t.data as BigInt64Array, Number), context });
    }
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  for (const file of FILES) {
    for (const [scale, scaleDir] of SCALES) {
      it(`${file} at ${scale}: text encoder and UNet (3 cases) within ${LIMIT}`, async () => {
        const te = await text(file, scale);
        const teDiff = maxAbsDiff(te, await golden(file, scaleDir, 'text', 'last_hidden_state.npy'));
        const eps = await unetEps(file, scale);
        const unetDiffs = await Promise.all(eps.map(async (e, i) => maxAbsDiff(e, await golden(file, scaleDir, `unet_case${i + 1}`, 'eps.npy'))));
        console.log(`[lora ${file} ×${scale}] text ${teDiff.toExponential(2)}, unet ${unetDiffs.map((d) => d.toExponential(2)).join(' ')}`);
        expect(teDiff).toBeLessThan(LIMIT);
        for (const d of unetDiffs) expect(d).toBeLessThan(LIMIT);
      });
    }
  }

  it('the low-rank branch form agrees with the goldens too (locon: linears, 1x1 and strided 3x3 convs)', async () => {
    const eps = await unetEps('locon', 1, 'branch');
    for (const [i, e] of eps.entries()) expect(maxAbsDiff(e, await golden('locon', 'scale_1', `unet_case${i + 1}`, 'eps.npy'))).toBeLessThan(LIMIT);
    const te = await text('lora', 0.6, 'branch');
    expect(maxAbsDiff(te, await golden('lora', 'scale_0p6', 'text', 'last_hidden_state.npy'))).toBeLessThan(LIMIT);
  });

  it('merged weights agree with the goldens too (locon, the file with 3x3 convs)', async () => {
    const eps = await unetEps('locon', 0.6, 'merge');
    for (const [i, e] of eps.entries()) expect(maxAbsDiff(e, await golden('locon', 'scale_0p6', `unet_case${i + 1}`, 'eps.npy'))).toBeLessThan(LIMIT);
    const te = await text('loha', 1, 'merge');
    expect(maxAbsDiff(te, await golden('loha', 'scale_1', 'text', 'last_hidden_state.npy'))).toBeLessThan(LIMIT);
  });

  it('scale 0 is exactly the model without the LoRA, and moving the scale compiles nothing', async () => {
    const base = await unetEps(null, 0);
    const baseText = await text(null, 0);
    const zero = await unetEps('locon', 0);
    const zeroText = await text('locon', 0);
    zero.forEach((e, i) => expect(maxAbsDiff(e, base[i])).toBe(0));
    expect(maxAbsDiff(zeroText, baseText)).toBe(0);
    const first = await unetEps('locon', 0.3);
    await text('locon', 0.3);
    const misses = cache.misses;
    const hits = cache.hits;
    const moved = await unetEps('locon', 0.6);
    await text('locon', 0.6);
    expect(cache.misses).toBe(misses);
    expect(cache.hits).toBeGreaterThan(hits);
    expect(maxAbsDiff(moved[0], first[0])).toBeGreaterThan(0.1);
  });
});
