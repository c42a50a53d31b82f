import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadImageEncoder } from '../../../engine/models/clipVision/encoder.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import { readFloat32 } from '../../../engine/safetensors/reader.ts';
import { maxAbsDiff, randomArray } from '../../graph/reference.ts';
import { gelu, layerNorm, linear, mha } from '../../controllers/ipAdapter/reference.ts';
import { writeTinyImageEncoder } from '../../support/tinyIpAdapter.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });

describe('CLIP vision graph against a TypeScript reference (tiny random ViT)', () => {
  let dir: string;
  let w: Map<string, Float32Array>;
  const H = 32, heads = 4, P = 14, S = 28, L = 2, proj = 48, G = S / P, N = 1 + G * G;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-vision-'));
    await writeTinyImageEncoder(join(dir, 'enc'), { hidden: H, heads, patch: P, image: S, layers: L, projection: proj });
    const header = await readSafetensorsHeader(join(dir, 'enc', 'model.safetensors'));
    w = new Map();
    for (const [k, info] of header.tensors) w.set(k, await readFloat32(info));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  /** hidden states after `layers` encoder layers, [N, H]. */
  function reference(px: Float32Array, layers: number): Float32Array {
    const get = (k: string) => w.get(k)!;
    const conv = get('vision_model.embeddings.patch_embedding.weight');
    let x: Float32Array = new Float32Array(N * H);
    x.set(get('vision_model.embeddings.class_embedding'), 0);
    for (let gy = 0; gy < G; gy++) for (let gx = 0; gx < G; gx++) for (let h = 0; h < H; h++) {
      let s = 0;
      for (let c = 0; c < 3; c++) for (let ky = 0; ky < P; ky++) for (let kx = 0; kx < P; kx++) {
        s += conv[((h * 3 + c) * P + ky) * P + kx] * px[c * S * S + (gy * P + ky) * S + gx * P + kx];
      }
      x[(1 + gy * G + gx) * H + h] = s;
    }
    const pos = get('vision_model.embeddings.position_embedding.weight');
    x = x.map((v, i) => v + pos[i]);
    x = layerNorm(x, N, H, get('vision_model.pre_layrnorm.weight'), get('vision_model.pre_layrnorm.bias'));
    for (let i = 0; i < layers; i++) {
      const p = (n: string) => get(`vision_model.encoder.layers.${i}.${n}`);
      const h = layerNorm(x, N, H, p('layer_norm1.weight'), p('layer_norm1.bias'));
      const [q, k, v] = ['q_proj', 'k_proj', 'v_proj'].map((n) => linear(h, N, H, p(`self_attn.${n}.weight`), H, p(`self_attn.${n}.bias`)));
      const o = linear(mha(q, k, v, N, N, heads, H / heads), N, H, p('self_attn.out_proj.weight'), H, p('self_attn.out_proj.bias'));
      x = x.map((val, j) => val + o[j]);
      const f = linear(layerNorm(x, N, H, p('layer_norm2.weight'), p('layer_norm2.bias')), N, H, p('mlp.fc1.weight'), 4 * H, p('mlp.fc1.bias')).map(gelu);
      const m = linear(f, N, 4 * H, p('mlp.fc2.weight'), H, p('mlp.fc2.bias'));
      x = x.map((val, j) => val + m[j]);
    }
    return x;
  }

  it('image_embeds = visual_projection(post_layernorm(CLS)) and hidden_states[-2], batch of two', async () => {
    const enc = await loadImageEncoder(join(dir, 'enc'), { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
    expect(enc.config).toMatchObject({ hiddenSize: H, numLayers: L, numHeads: heads, imageSize: S, projectionDim: proj });
    const px = randomArray(2 * 3 * S * S, 5);
    const embeds = await enc.embeds({ data: px, dims: [2, 3, S, S] });
    const pen = await enc.penultimate({ data: px, dims: [2, 3, S, S] });
    expect(pen.dims).toEqual([2, N, H]);
    for (let b = 0; b < 2; b++) {
      const one = px.subarray(b * 3 * S * S, (b + 1) * 3 * S * S);
      const last = reference(one, L);
      const pooled = layerNorm(last.subarray(0, H), 1, H, w.get('vision_model.post_layernorm.weight')!, w.get('vision_model.post_layernorm.bias')!);
      const e = linear(pooled, 1, H, w.get('visual_projection.weight')!, proj);
      expect(maxAbsDiff((embeds.data as Float32Array).subarray(b * proj, (b + 1) * proj), e)).toBeLessThan(1e-4);
      expect(maxAbsDiff((pen.data as Float32Array).subarray(b * N * H, (b + 1) * N * H), reference(one, L - 1))).toBeLessThan(1e-4);
    }
  });
});
