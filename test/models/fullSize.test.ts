import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectModel } from '../../engine/models/detect.ts';
import { expectedTextEncoderTensors } from '../../engine/models/clip/shapes.ts';
import { expectedUNetTensors, type UNetShapes } from '../../engine/models/unet/shapes.ts';
import { expectedVAETensors } from '../../engine/models/vae/shapes.ts';
import type { StableDiffusionSpec, VAEConfig } from '../../engine/models/spec.ts';
import { hasShared } from '../support/shared.ts';
import { f32, numel, sd15TinyKeys, writeHeaderOnly, type KeySpec } from './fixtures.ts';

const params = (m: Map<string, number[]>) => [...m.values()].reduce((a, s) => a + numel(s), 0);

const SD15_UNET: UNetShapes = {
  inChannels: 4,
  outChannels: 4,
  modelChannels: 320,
  channelMult: [1, 2, 4, 4],
  numResBlocks: 2,
  attentionLevels: [0, 1, 2],
  attentionResolutions: [1, 2, 4],
  midBlockAttention: true,
  transformerDepth: [1, 1, 1, 0],
  midTransformerDepth: 1,
  contextDim: 768,
  useLinearProjection: false,
  timeEmbedDim: 1280,
  admInChannels: 0,
};
const SD_VAE: VAEConfig = { inChannels: 3, outChannels: 3, ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true };
const CLIP_L = { vocabSize: 49408, hiddenSize: 768, numLayers: 12, intermediateSize: 3072, maxPositions: 77, hasPositionIds: true };

describe('expected key sets are derived from the config, at any width', () => {
  it.skipIf(!hasShared('golden', 'sd15-tiny'))('reproduce the real sd15-tiny key set and parameter counts exactly', async () => {
    const real = await sd15TinyKeys();
    const tiny = { ...SD15_UNET, modelChannels: 32, channelMult: [1, 2, 3, 3], contextDim: 64, timeEmbedDim: 128 };
    const unet = expectedUNetTensors(tiny);
    const vae = expectedVAETensors({ ...SD_VAE, ch: 32, chMult: [1, 2, 3, 3] });
    const text = expectedTextEncoderTensors({ ...CLIP_L, hiddenSize: 64, numLayers: 2, intermediateSize: 256 });
    for (const [prefix, m] of [['model.diffusion_model', unet], ['first_stage_model', vae], ['cond_stage_model.transformer.text_model', text]] as const) {
      const realPart = [...real].filter(([k]) => k.startsWith(`${prefix}.`) && !k.endsWith('position_ids'));
      expect(m.size, prefix).toBe(realPart.length);
      for (const [k, spec] of realPart) expect(m.get(k.slice(prefix.length + 1)), k).toEqual(spec.shape);
    }
    // config.json's derived param_counts (its text count includes the 77 position_ids).
    expect(params(unet)).toBe(5523876);
    expect(params(vae)).toBe(3212071);
    expect(params(text) + 77).toBe(3267213);
  });

  it('match the published parameter counts of full-size SD 1.5 and SD 2.x', () => {
    expect(params(expectedUNetTensors(SD15_UNET))).toBe(859_520_964);
    expect(params(expectedVAETensors(SD_VAE))).toBe(83_653_863);
    expect(params(expectedTextEncoderTensors(CLIP_L))).toBe(123_060_480);
    const sd2 = { ...SD15_UNET, contextDim: 1024, useLinearProjection: true };
    expect(params(expectedUNetTensors(sd2))).toBe(865_910_724);
  });
});

describe('full-size SD 1.5 layout, header only (sparse 4 GB file)', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'full-'));
    path = join(dir, 'sd15-full.safetensors');
    const entries: Array<[string, KeySpec]> = [];
    const add = (prefix: string, m: Map<string, number[]>) => m.forEach((s, k) => entries.push([`${prefix}.${k}`, f32(s)]));
    add('model.diffusion_model', expectedUNetTensors(SD15_UNET));
    add('first_stage_model', expectedVAETensors(SD_VAE));
    add('cond_stage_model.transformer.text_model', expectedTextEncoderTensors(CLIP_L));
    entries.push(['cond_stage_model.transformer.text_model.embeddings.position_ids', { dtype: 'I64', shape: [1, 77] }]);
    await writeHeaderOnly(path, entries);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is detected in well under a second without reading its data', async () => {
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const s = (await detectModel(path, { findConfig: false })) as StableDiffusionSpec;
    const ms = performance.now() - t0;
    expect(s.family).toBe('sd1');
    expect(s.unet).toMatchObject({ modelChannels: 320, channelMult: [1, 2, 4, 4], contextDim: 768, headsPerLevel: [8, 8, 8, 8] });
    expect(s.textEncoders[0]).toMatchObject({ hiddenSize: 768, numLayers: 12, numHeads: 12 });
    expect(s.vae).toMatchObject({ ch: 128, chMult: [1, 2, 4, 4] });
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
    console.info(`full-size SD 1.5 header detection: ${ms.toFixed(1)} ms`);
  });
});
