import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeModel } from '../../../engine/catalog/describe.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadSDXLTextEncoders } from '../../../engine/models/clip/sdxlTextEncoder.ts';
import { detectLdm, detectModel } from '../../../engine/models/detect.ts';
import { expectedUNetTensors } from '../../../engine/models/unet/shapes.ts';
import type { ModelSpec, SDXLSpec } from '../../../engine/models/spec.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import type { TensorInfo } from '../../../engine/safetensors/types.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { writeSDXLDiffusersFolder } from './diffusersFolder.ts';
import { SDXL_TINY_F16, golden, goldenNpy } from './fixture.ts';

const asXL = (s: ModelSpec): SDXLSpec => {
  if (s.family !== 'sdxl') throw new Error(`expected SDXL, got ${s.family}`);
  return s;
};
const cache = new SessionCache({ intraOpNumThreads: 1 });
let root: string;

describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('SDXL detection from the header (sdxl-tiny)', () => {
  let single: SDXLSpec;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sdxl-detect-'));
    single = asXL(await detectModel(SDXL_TINY_F16));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(root, { recursive: true, force: true });
  });

  it('single file: per-level depth, label_emb width, 16-wide heads from the config beside it, both towers, scale 0.13025', () => {
    expect(single).toMatchObject({ family: 'sdxl', variant: 'base', layout: 'ldm-single-file', weightDType: 'F16', scaleFactor: 0.13025, nativeSize: 1024, guidanceScale: 5, warnings: [] });
    expect(single.unet).toMatchObject({
      channelMult: [1, 2, 3], attentionLevels: [1, 2], transformerDepth: [0, 1, 2], midTransformerDepth: 2,
      contextDim: 80, admInChannels: 1576, useLinearProjection: true, numHeadChannels: 16, headsPerLevel: [0, 4, 6],
    });
    expect(single.textEncoders.clipL).toMatchObject({ hiddenSize: 32, numLayers: 3, numHeads: 2, hiddenAct: 'quick_gelu' });
    expect(single.textEncoders.clipG).toMatchObject({ hiddenSize: 48, numLayers: 3, numHeads: 3, hiddenAct: 'gelu', projectionDim: 40 });
    expect(single.microConditions).toEqual(['original_size', 'crop_coords_top_left', 'target_size']);
    expect(describeModel(single).summary).toMatch(/^Stable Diffusion XL base UNet 32×\[1,2,3\], eps, F16/);
  });

  it('diffusers folder: the same canonical keys and shapes, and its encoders (bigG projection as a Linear) give the goldens', async () => {
    const dir = join(root, 'sdxl-tiny-diffusers');
    await writeSDXLDiffusersFolder(dir, single);
    const folder = asXL(await detectModel(dir));
    expect(folder).toMatchObject({ family: 'sdxl', variant: 'base', layout: 'diffusers', vae: single.vae, scaleFactor: 0.13025 });
    // diffusers' `attention_head_dim` lists heads per level: the same heads as the single file's 16-wide ones.
    const { numHeads: _a, numHeadChannels: _b, headsSource: _c, ...dims } = single.unet;
    expect(folder.unet).toMatchObject(dims);
    expect(folder.textEncoders.clipG.projectionDim).toBe(40);
    const shapes = (s: SDXLSpec) => new Map(s.weights.entries().filter(([k]) => !k.endsWith('position_ids')).map(([k, t]) => [k.replace(/text_projection(\.weight)?$/, 'text_projection'), t.shape.length]));
    expect([...shapes(folder).keys()].sort()).toEqual([...shapes(single).keys()].sort());
    for (const [k, t] of single.weights.entries()) {
      if (k.endsWith('position_ids') || k.endsWith('text_projection')) continue;
      expect(folder.weights.get(k).shape, k).toEqual(t.shape);
    }
    const enc = await loadSDXLTextEncoders(folder, { threads: 1, cache });
    const ids = async (n: string) => (await goldenNpy(`text/${n}.npy`)).data as BigInt64Array;
    const out = await enc.encodeIds(await ids('input_ids_clip_l'), await ids('input_ids_clip_g'));
    expect(maxAbsDiff(out.context.data, await golden('conditioning/crossattn.npy', true))).toBeLessThan(1e-3);
    expect(maxAbsDiff(out.pooled.data, await golden('text/clip_g_pooled.npy', true))).toBeLessThan(1e-3);
  });

  it('refiner: bigG alone at conditioner.embedders.0.model, y = pooled ‖ original size ‖ crop ‖ aesthetic score', async () => {
    const base = (await readSafetensorsHeader(SDXL_TINY_F16)).tensors;
    const tensors = new Map<string, TensorInfo>();
    for (const [k, t] of base) {
      if (k.startsWith('first_stage_model.')) tensors.set(k, t);
      if (k.startsWith('conditioner.embedders.1.model.')) {
        const name = k.replace('embedders.1.', 'embedders.0.');
        tensors.set(name, { ...t, name });
      }
    }
    // The refiner's UNet shape (sd_xl_refiner.yaml) at tiny width: 4 levels, attention at 1-2 with depth 1, context 48, adm 40 + 5·256.
    const unet = {
      inChannels: 4, outChannels: 4, modelChannels: 16, channelMult: [1, 2, 2, 2], numResBlocks: 2, attentionLevels: [1, 2],
      attentionResolutions: [2, 4], midBlockAttention: true, transformerDepth: [0, 1, 1, 0], midTransformerDepth: 1,
      contextDim: 48, useLinearProjection: true, timeEmbedDim: 64, admInChannels: 40 + 5 * 256,
    };
    for (const [k, shape] of expectedUNetTensors(unet)) {
      const name = `model.diffusion_model.${k}`;
      tensors.set(name, { name, dtype: 'F16', shape, offset: 0, byteLength: 2 * shape.reduce((a, b) => a * b, 1), file: 'refiner.safetensors' });
    }
    const spec = asXL(detectLdm('refiner.safetensors', tensors, { source: 'test', unetNumHeadChannels: 32, sdxlTextHeads: { clipG: 3 } }));
    expect(spec.variant).toBe('refiner');
    expect(spec.textEncoders.clipL).toBeUndefined();
    expect(spec.textEncoders.clipG).toMatchObject({ hiddenSize: 48, projectionDim: 40 });
    expect(spec.unet).toMatchObject({ transformerDepth: [0, 1, 1, 0], admInChannels: 1320, headsPerLevel: [0, 1, 1, 1] }); // the middle block sits at level 3
    expect(spec.microConditions).toEqual(['original_size', 'crop_coords_top_left', 'aesthetic_score']);
    // The base's label_emb (1576) in a refiner-layout file does not fit its y and says so.
    const wrong = new Map(tensors);
    const k = 'model.diffusion_model.label_emb.0.0.weight';
    wrong.set(k, { ...wrong.get(k)!, shape: [64, 1576] });
    expect(() => detectLdm('refiner.safetensors', wrong, { source: 'test', unetNumHeadChannels: 32, sdxlTextHeads: { clipG: 3 } })).toThrow(/takes y of width 1576, but Stable Diffusion XL refiner builds y from .* aesthetic_score = 1320/);
  });
});
