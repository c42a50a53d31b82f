import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectModel } from '../../../engine/models/detect.ts';
import { sdxlBaseCheckpointKeys } from '../../../engine/models/layouts/sdxlFullSize.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { writeHeaderOnly } from '../fixtures.ts';

let dir: string;

describe('SDXL base 1.0 at full size (header only, the real single-file key set)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdxl-full-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('has the real file\'s 2515 tensors and is detected with sd_xl_base.yaml\'s dimensions and conventions', async () => {
    const keys = sdxlBaseCheckpointKeys();
    expect(keys.size).toBe(2515);
    const count = (p: string) => [...keys.keys()].filter((k) => k.startsWith(p)).length;
    expect([count('model.diffusion_model.'), count('conditioner.embedders.0.'), count('conditioner.embedders.1.'), count('first_stage_model.')]).toEqual([1680, 197, 390, 248]);
    const path = join(dir, 'sd_xl_base_1.0.safetensors');
    await writeHeaderOnly(path, keys);
    const spec = await detectModel(path, { findConfig: false });
    if (spec.family !== 'sdxl') throw new Error(`detected as ${spec.family}`);
    expect(spec).toMatchObject({ variant: 'base', weightDType: 'F16', scaleFactor: 0.13025, nativeSize: 1024, guidanceScale: 5, warnings: [] });
    expect(spec.unet).toMatchObject({ transformerDepth: [0, 2, 10], midTransformerDepth: 10, contextDim: 2048, admInChannels: 2816, numHeadChannels: 64, headsPerLevel: [0, 10, 20] });
    expect(spec.textEncoders.clipL).toMatchObject({ hiddenSize: 768, numLayers: 12, numHeads: 12, hiddenAct: 'quick_gelu' });
    expect(spec.textEncoders.clipG).toMatchObject({ hiddenSize: 1280, numLayers: 32, numHeads: 20, hiddenAct: 'gelu', projectionDim: 1280 });
    const unetParams = [...keys].filter(([k]) => k.startsWith('model.diffusion_model.')).reduce((n, [, t]) => n + t.shape.reduce((a, d) => a * d, 1), 0);
    expect(unetParams).toBe(2_567_463_684);
    // ALGORITHMS-2 §3.1: 70 transformer blocks, 140 attention layers, none at full resolution.
    const sites = unetSites(spec.unet);
    expect(sites.blocks).toHaveLength(70);
    expect(sites.attention).toHaveLength(140);
    expect(Math.min(...sites.attention.map((s) => s.grid.downsample))).toBe(2);
  });
});
