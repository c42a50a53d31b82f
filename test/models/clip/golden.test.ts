import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugModule } from '../../../engine/cli/debugModules.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadTextEncoder, textEncoderDebugModule, type TextEncoder } from '../../../engine/models/clip/index.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { type NpyArray, readNpy } from '../../../engine/npy/npy.ts';
import type { CLIPTokenizer } from '../../../engine/tokenizer/clip-tokenizer.ts';
import { tokenizerFor } from '../../../engine/tokenizer/forModel.ts';
import { hasShared, sharedPath } from '../../support/shared.ts';
import { maxAbsDiff } from './reference.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
// Heads (4) are not in the tensor shapes: only config.json says so.
const CONFIG = tiny('config.json');

let dir: string;
let cache: SessionCache;
const runtime = () => ({ cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

async function encoderFor(checkpoint: string): Promise<TextEncoder> {
  const spec = (await detectModel(tiny(checkpoint), { configPath: CONFIG })) as StableDiffusionSpec;
  return loadTextEncoder(spec, runtime());
}

describe.skipIf(!hasShared('golden'))('SD 1.x text encoder against sd15-tiny goldens', () => {
  let ids: NpyArray;
  let golden: Float32Array;
  let goldenF16: Float32Array;
  let f32: TextEncoder;
  let tokenizer: CLIPTokenizer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-golden-'));
    cache = new SessionCache({ intraOpNumThreads: 1 });
    ids = await readNpy(tiny('golden', 'text', 'input_ids.npy'));
    golden = (await readNpy(tiny('golden', 'text', 'last_hidden_state.npy'))).data as Float32Array;
    goldenF16 = (await readNpy(tiny('golden', 'from_f16_weights', 'text', 'last_hidden_state.npy'))).data as Float32Array;
    f32 = await encoderFor('sd15-tiny.f32.safetensors');
    tokenizer = await tokenizerFor({ family: 'sd1' });
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('F32 checkpoint: input_ids → last_hidden_state within 1e-3', async () => {
    expect(f32.config).toMatchObject({ numHeads: 4, numLayers: 2, hiddenAct: 'quick_gelu', hasPositionIds: true });
    expect(f32.clipSkip).toBe(1);
    const out = await f32.encodeIds(ids.data as BigInt64Array, 3);
    expect(out.dims).toEqual([3, 77, 64]);
    const diff = maxAbsDiff(out.data, golden);
    console.log(`[sd15-tiny text] F32 checkpoint vs golden: max abs ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
  });

  it('F16 checkpoint: within 1e-3 of the from_f16_weights golden and 2e-2 of the F32 golden', async () => {
    const f16 = await encoderFor('sd15-tiny.f16.safetensors');
    const out = await f16.encodeIds(ids.data as BigInt64Array, 3);
    const d16 = maxAbsDiff(out.data, goldenF16);
    const d32 = maxAbsDiff(out.data, golden);
    console.log(`[sd15-tiny text] F16 checkpoint vs from_f16_weights golden: ${d16.toExponential(2)}, vs F32 golden: ${d32.toExponential(2)}`);
    expect(d16).toBeLessThan(1e-3);
    expect(d32).toBeLessThan(2e-2);
  });

  it('debug module: ids.npy → the golden array; wrong shapes → SHAPE_MISMATCH', async () => {
    const asModule: DebugModule = textEncoderDebugModule; // the CLI's registry shape
    expect(asModule.inputs.map((i) => i.name)).toEqual(['ids']);
    const run = await textEncoderDebugModule.load(tiny('sd15-tiny.f32.safetensors'), CONFIG, runtime());
    const out = await run(new Map([['ids', ids]]));
    expect(out.dtype).toBe('<f4');
    expect(out.shape).toEqual([3, 77, 64]);
    expect(maxAbsDiff(out.data as Float32Array, golden)).toBeLessThan(1e-3);
    const flat: NpyArray = { dtype: '<i8', shape: [77], data: (ids.data as BigInt64Array).slice(0, 77) };
    await expect(run(new Map([['ids', flat]]))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    const short: NpyArray = { dtype: '<i8', shape: [1, 76], data: (ids.data as BigInt64Array).slice(0, 76) };
    await expect(run(new Map([['ids', short]]))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    const int32: NpyArray = { dtype: '<i4', shape: [3, 77], data: Int32Array.from(ids.data as BigInt64Array, Number) };
    expect(maxAbsDiff((await run(new Map([['ids', int32]]))).data as Float32Array, golden)).toBeLessThan(1e-3);
  });

  it('encodeIds refuses wrong shapes (SHAPE_MISMATCH) and ids outside the vocabulary (INVALID_REQUEST)', async () => {
    const row = Array.from(ids.data as BigInt64Array, Number).slice(0, 77);
    await expect(f32.encodeIds([row.slice(0, 76)])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds([row, [...row, 49407]])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds([row], 2)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds([])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds(new BigInt64Array(76))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds(new BigInt64Array(154), 3)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(f32.encodeIds([[...row.slice(0, 76), 49408]])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(f32.encodeIds([[-1, ...row.slice(1)]])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('encodePrompt of a short prompt is the golden row (tokenizer + encoder end to end)', async () => {
    const e = await f32.encodePrompt('a photo of a cat', tokenizer);
    expect(e.dims).toEqual([1, 77, 64]);
    expect(e.chunks).toHaveLength(1);
    expect(e.chunks[0].ids).toEqual(Array.from((ids.data as BigInt64Array).slice(0, 77), Number));
    expect(maxAbsDiff(e.data, golden.subarray(0, 77 * 64))).toBeLessThan(1e-3);
  });

  it('a 100-token prompt → two 75-token chunks encoded separately: [1, 154, 64]', async () => {
    const text = Array.from({ length: 100 }, () => 'cat').join(' ');
    const e = await f32.encodePrompt(text, tokenizer);
    expect(e.numTokens).toBe(100);
    expect(e.chunks.map((c) => c.tokens.length)).toEqual([75, 25]);
    expect(e.dims).toEqual([1, 154, 64]);
    expect(e.data).toHaveLength(154 * 64);
    for (const [i, chunk] of e.chunks.entries()) {
      const alone = await f32.encodeIds([chunk.ids]);
      expect(maxAbsDiff(e.data.subarray(i * 77 * 64, (i + 1) * 77 * 64), alone.data)).toBeLessThan(1e-6);
    }
  });

  it('padToSameChunks extends the shorter embedding with empty-prompt chunks', async () => {
    const long = await f32.encodePrompt(Array.from({ length: 100 }, () => 'cat').join(' '), tokenizer);
    const negative = await f32.encodePrompt('', tokenizer);
    const [a, b] = await f32.padToSameChunks([long, negative], tokenizer);
    expect(a).toBe(long);
    expect(b.dims).toEqual([1, 154, 64]);
    expect(b.chunks).toHaveLength(2);
    expect(b.chunks[1].ids).toEqual(tokenizer.encode('').ids);
    const window = 77 * 64;
    expect(maxAbsDiff(b.data.subarray(0, window), negative.data)).toBe(0);
    // the empty prompt is golden row 2
    expect(maxAbsDiff(b.data.subarray(window), golden.subarray(2 * window))).toBeLessThan(1e-3);
  });
});
