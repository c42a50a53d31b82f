import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../engine/graph/session.ts';
import { applyLoras, type LoraUse } from '../../engine/lora/apply.ts';
import { loadTextEncoder } from '../../engine/models/clip/index.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { loadUNet } from '../../engine/models/unet/index.ts';
import { type NpyArray, npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { writeSafetensors, type TensorToWrite } from '../../engine/safetensors/index.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const set = (...p: string[]) => sharedPath('golden', 'lora-sd15', ...p);
const cache = new SessionCache({ intraOpNumThreads: 1 });
let dir: string;
let spec: StableDiffusionSpec;
let ids: NpyArray;
let unetIn: { x: NpyArray; t: number[]; context: NpyArray };
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.3);
const f32 = (shape: number[], data: Float32Array): TensorToWrite => ({ dtype: 'F32', shape, data });
const matmul = (a: Float32Array, b: Float32Array, n: number, k: number, m: number) => {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s += a[i * k + r] * b[r * m + j];
    out[i * m + j] = s;
  }
  return out;
};
/** kron(A [a, b], B [c, d·k]) as [a·c, b·d·k] with the trailing kernel k kept with B. */
const kron = (A: Float32Array, a: number, b: number, B: Float32Array, c: number, d: number, k: number) => {
  const out = new Float32Array(a * c * b * d * k);
  for (let i1 = 0; i1 < a; i1++) for (let i2 = 0; i2 < c; i2++) for (let j1 = 0; j1 < b; j1++) for (let j2 = 0; j2 < d; j2++) for (let q = 0; q < k; q++) {
    out[(i1 * c + i2) * b * d * k + (j1 * d + j2) * k + q] = A[i1 * b + j1] * B[i2 * d * k + j2 * k + q];
  }
  return out;
};
const identityDown = (rank: number, shape: number[]) => {
  const d = new Float32Array(rank * rank);
  for (let i = 0; i < rank; i++) d[i * rank + i] = 1;
  return f32([rank, ...shape], d);
};

async function write(name: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Promise<string> {
  const p = join(dir, `${name}.safetensors`);
  await writeSafetensors(p, tensors, metadata);
  return p;
}
const textOut = async (uses: LoraUse[]) => {
  const enc = await loadTextEncoder(spec, { ...runtime(), cache, lora: (await applyLoras(spec, uses)).text });
  return (await enc.encodeIds(ids.data as BigInt64Array, 3)).data;
};
const unetOut = async (uses: LoraUse[]) => {
  const unet = await loadUNet(spec, { runtime: runtime(), cache, lora: (await applyLoras(spec, uses)).unet });
  return unet.evaluate(npyToFloat32(unetIn.x), unetIn.x.shape, unetIn.t, npyToFloat32(unetIn.context), unetIn.context.shape);
};

describe.skipIf(!hasShared('golden', 'lora-sd15'))('LoRA formats and refusals (sd15-tiny)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lora-formats-'));
    spec = (await detectModel(tiny('sd15-tiny.f32.safetensors'), { configPath: tiny('config.json') })) as StableDiffusionSpec;
    ids = await readNpy(tiny('golden', 'text', 'input_ids.npy'));
    const d = tiny('golden', 'unet_case1');
    const [x, t, context] = await Promise.all(['x', 't', 'context'].map((a) => readNpy(join(d, `${a}.npy`))));
    unetIn = { x, t: Array.from(t.data as BigInt64Array, Number), context };
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('LoKr on a linear (low-rank W2) equals the plain LoRA with the same ΔW = kron(W1, W2a·W2b)', async () => {
    const w1 = rand(64, 1), w2a = rand(16, 2), w2b = rand(16, 3);
    const N = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';
    const lokr = await write('lokr', { [`${N}.lokr_w1`]: f32([8, 8], w1), [`${N}.lokr_w2_a`]: f32([8, 2], w2a), [`${N}.lokr_w2_b`]: f32([2, 8], w2b), [`${N}.alpha`]: f32([], Float32Array.of(1)) });
    // alpha 1 / rank 2: scale 0.5 (A1111: the rank of the low-rank factor).
    const delta = kron(w1, 8, 8, matmul(w2a, w2b, 8, 2, 8), 8, 8, 1).map((v) => v * 0.5);
    const plain = await write('lokr-as-lora', { [`${N}.lora_up.weight`]: f32([64, 64], delta), [`${N}.lora_down.weight`]: identityDown(64, [64]), [`${N}.alpha`]: f32([], Float32Array.of(64)) });
    const [a, b, base] = await Promise.all([textOut([{ path: lokr, scale: 0.8 }]), textOut([{ path: plain, scale: 0.8 }]), textOut([])]);
    expect(maxAbsDiff(a, base)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
  });

  it('LoKr on a 3x3 conv (two full factors, scale 1) equals the LoCon with the same ΔW', async () => {
    const N = 'lora_unet_down_blocks_0_resnets_0_conv1'; // input_blocks.1.0.in_layers.2 [32, 32, 3, 3]
    const w1 = rand(16, 4), w2 = rand(8 * 8 * 9, 5);
    const lokr = await write('lokr-conv', { [`${N}.lokr_w1`]: f32([4, 4], w1), [`${N}.lokr_w2`]: f32([8, 8, 3, 3], w2) });
    const delta = kron(w1, 4, 4, w2, 8, 8, 9); // [32, 32·9]
    const plain = await write('lokr-conv-as-locon', { [`${N}.lora_up.weight`]: f32([32, 288], delta), [`${N}.lora_down.weight`]: identityDown(288, [32, 3, 3]), [`${N}.alpha`]: f32([], Float32Array.of(288)) });
    const [a, b, base] = [await unetOut([{ path: lokr, scale: 1 }]), await unetOut([{ path: plain, scale: 1 }]), await unetOut([])];
    expect(maxAbsDiff(a, base)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
  });

  it('several LoRAs at once add their deltas: one file twice at 0.5 is the file once at 1', async () => {
    const path = set('sd15-tiny.locon.safetensors');
    const twice = await unetOut([{ path, scale: 0.5 }, { path, scale: 0.5 }]);
    const once = await unetOut([{ path, scale: 1 }]);
    expect(maxAbsDiff(twice, once)).toBeLessThan(1e-4);
    const mixed = await textOut([{ path: set('sd15-tiny.lora.safetensors'), scale: 1 }, { path: set('sd15-tiny.peft.safetensors'), scale: 1 }]);
    expect(maxAbsDiff(mixed, await textOut([{ path: set('sd15-tiny.lora.safetensors'), scale: 1 }]))).toBeGreaterThan(1e-2);
  });

  it('refuses a LoRA made for another family, naming it, and one that matches nothing', async () => {
    const N = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';
    const pair = (n: string, inDim: number) => ({ [`${n}.lora_down.weight`]: f32([2, inDim], rand(2 * inDim, 7)), [`${n}.lora_up.weight`]: f32([64, 2], rand(128, 8)) });
    const xl = await write('xl', pair(N, 64), { ss_base_model_version: 'sdxl_base_v1-0' });
    await expect(applyLoras(spec, [{ path: xl, scale: 1 }])).rejects.toThrow(/LoRA xl cannot be applied to this Stable Diffusion 1\.x model: it was made for SDXL/);
    const te2 = await write('te2', pair('lora_te2_text_model_encoder_layers_0_self_attn_q_proj', 1280));
    await expect(applyLoras(spec, [{ path: te2, scale: 1 }])).rejects.toThrow(/made for SDXL/);
    const sd2 = await write('sd2', pair('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k', 1024));
    await expect(applyLoras(spec, [{ path: sd2, scale: 1 }])).rejects.toThrow(/made for Stable Diffusion 2\.x/);
    const none = await write('none', pair('lora_unet_not_a_layer', 64));
    await expect(applyLoras(spec, [{ path: none, scale: 1 }])).rejects.toThrow(/none of its 1 modules \(e\.g\. lora_unet_not_a_layer\) names a layer/);
  });
});
