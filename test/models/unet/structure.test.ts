import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import type { StableDiffusionSpec, UNetConfig } from '../../../engine/models/spec.ts';
import { loadUNet, unetSites } from '../../../engine/models/unet/index.ts';
import { maxAbsDiff, randomArray } from '../../graph/reference.ts';
import { sd15Shapes, syntheticKeys, tinySD2Shapes, writeRandomCheckpoint } from './synthetic.ts';

let dir: string;
let sd2: StableDiffusionSpec;
let inpaint: StableDiffusionSpec;
const cache = new SessionCache({ intraOpNumThreads: 1 });
const runtime = () => ({ threads: 1, placement: { cacheDir: join(dir, 'graphs') } });

async function detect(path: string): Promise<StableDiffusionSpec> {
  const s = await detectModel(path);
  if (s.family === 'taesd' || s.family === 'pixart' || s.family === 'sdxl') throw new Error('expected Stable Diffusion');
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unet-structure-'));
  await writeRandomCheckpoint(join(dir, 'tiny-sd2.safetensors'), syntheticKeys('sd2', tinySD2Shapes()));
  await writeRandomCheckpoint(join(dir, 'tiny-inpaint.safetensors'), syntheticKeys('sd1', { ...tinySD2Shapes(9), useLinearProjection: false }), 'F16', 11);
  sd2 = await detect(join(dir, 'tiny-sd2.safetensors'));
  inpaint = await detect(join(dir, 'tiny-inpaint.safetensors'));
});
afterAll(async () => {
  await cache.clear();
  await rm(dir, { recursive: true, force: true });
});

const finite = (a: Float32Array) => a.every(Number.isFinite);
function inputs(B: number, C: number, h: number, w: number, D: number, seed = 1) {
  return {
    x: randomArray(B * C * h * w, seed), xDims: [B, C, h, w],
    context: randomArray(B * 77 * D, seed + 1), contextDims: [B, 77, D],
  };
}

describe('UNet on a synthesised SD 2.x-style checkpoint', () => {
  it('is detected as SD 2.x with linear projections and 64-channel heads', () => {
    expect(sd2.family).toBe('sd2');
    expect(sd2.unet).toMatchObject({ useLinearProjection: true, numHeadChannels: 64, headsPerLevel: [1, 2, 2], contextDim: 32 });
  });

  it('runs non-square and odd latent sizes; output shape matches, values finite', async () => {
    const unet = await loadUNet(sd2, { runtime: runtime(), cache });
    for (const [B, h, w] of [[2, 16, 24], [1, 7, 9], [1, 1, 3]]) {
      const i = inputs(B, 4, h, w, 32);
      const r = await unet.evaluateDetailed(i.x, i.xDims, B === 2 ? [999, 10.5] : [500], i.context, i.contextDims);
      expect(r.dims).toEqual([B, 4, h, w]);
      expect(finite(r.output)).toBe(true);
      expect(Math.max(...r.output.map(Math.abs))).toBeGreaterThan(0.01);
    }
    expect([...(await unet.session(1, 8, 8, 77)).session.inputNames].sort()).toEqual(['context', 't', 'x']);
  });

  it('batch entries are independent (the batch axis never mixes)', async () => {
    const unet = await loadUNet(sd2, { runtime: runtime(), cache });
    const i = inputs(2, 4, 8, 8, 32, 5);
    const both = await unet.evaluate(i.x, i.xDims, [700, 30], i.context, i.contextDims);
    const n = 4 * 64;
    const second = await unet.evaluate(i.x.slice(n), [1, 4, 8, 8], [30], i.context.slice(77 * 32), [1, 77, 32]);
    expect(maxAbsDiff(both.slice(n), second)).toBeLessThan(1e-5);
  });

  it('fused, opset-23 and explicit attention kernels agree', async () => {
    const i = inputs(2, 4, 12, 8, 32, 9);
    const outs: Float32Array[] = [];
    for (const kernel of ['fused', 'onnx', 'explicit'] as const) {
      const unet = await loadUNet(sd2, { runtime: runtime(), cache, kernel });
      outs.push(await unet.evaluate(i.x, i.xDims, [999, 1], i.context, i.contextDims));
    }
    expect(maxAbsDiff(outs[0], outs[2])).toBeLessThan(1e-4);
    expect(maxAbsDiff(outs[1], outs[2])).toBeLessThan(1e-4);
  });

  it('fixed-shape sessions give the dynamic session\'s numbers', async () => {
    const i = inputs(1, 4, 8, 16, 32, 13);
    const dyn = await loadUNet(sd2, { runtime: runtime(), cache });
    const fixed = await loadUNet(sd2, { runtime: runtime(), cache, fixedShapes: true });
    const a = await dyn.evaluate(i.x, i.xDims, [250], i.context, i.contextDims);
    const b = await fixed.evaluate(i.x, i.xDims, [250], i.context, i.contextDims);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    // The Denoiser call on tensors is the same evaluation.
    const c = await fixed.run({ data: i.x, dims: i.xDims }, [250], { context: { data: i.context, dims: i.contextDims } });
    expect(c.output).toEqual(b);
    expect(c.dims).toEqual(i.xDims);
  });

  it('wrong input shapes are SHAPE_MISMATCH before anything runs', async () => {
    const unet = await loadUNet(sd2, { runtime: runtime(), cache });
    const i = inputs(1, 4, 8, 8, 32);
    await expect(unet.evaluate(i.x, [1, 9, 8, 8], [1], i.context, i.contextDims)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(unet.evaluate(i.x, i.xDims, [1, 2], i.context, i.contextDims)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(unet.evaluate(i.x, i.xDims, [1], i.context, [1, 77, 64])).rejects.toBeInstanceOf(StudioError);
  });
});

describe('9-channel inpainting UNet (F16 weights, SD 1.x conv projections)', () => {
  it('builds and runs', async () => {
    expect(inpaint.inpainting).toBe(true);
    expect(inpaint.unet.useLinearProjection).toBe(false);
    const unet = await loadUNet(inpaint, { runtime: runtime(), cache });
    const i = inputs(2, 9, 8, 8, 32, 21);
    const out = await unet.evaluate(i.x, i.xDims, [999, 0], i.context, i.contextDims);
    expect(out.length).toBe(2 * 4 * 64);
    expect(finite(out)).toBe(true);
  });
});

describe('attention sites', () => {
  it('tiny SD 2.x: 7 transformers, 14 typed sites in forward order', () => {
    const s = unetSites(sd2.unet);
    expect(s.attention).toHaveLength(14);
    expect(s.attention.map((a) => a.ordinal)).toEqual([...Array(14).keys()]);
    expect(s.attention[1]).toEqual({
      path: 'model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2', ordinal: 1,
      block: 'model.diffusion_model.input_blocks.1.1.transformer_blocks.0',
      kind: 'cross', heads: 1, dimHead: 64, channels: 64,
      grid: { downsample: 1, tokens: 'h·w' }, queryTokens: 'h·w', keyTokens: 'tokens',
      tags: {
        diffusersBlock: 'down_blocks.0.attentions.0',
        processorOrder: 1,
        family: { stage: 'down', level: 0, ldmBlock: 'input_blocks.1', blockIndex: 0, depth: 0 },
      },
    });
    expect(s.attention.map((a) => a.tags.family?.stage).join(',')).toBe('down,down,down,down,mid,mid,up,up,up,up,up,up,up,up');
  });

  it('full SD 1.5: 16 transformers, 8 heads; numeric token counts for fixed sizes', () => {
    const config: UNetConfig = { ...sd15Shapes(), numHeads: 8, numHeadChannels: null, headsPerLevel: [8, 8, 8, 8], headsSource: 'family-default' };
    const s = unetSites(config, { height: 64, width: 64, tokens: 77 });
    expect(s.blocks).toHaveLength(16);
    expect(s.blocks.map((b) => b.path.replace('model.diffusion_model.', '').replace('.transformer_blocks.0', ''))).toEqual([
      'input_blocks.1.1', 'input_blocks.2.1', 'input_blocks.4.1', 'input_blocks.5.1', 'input_blocks.7.1', 'input_blocks.8.1',
      'middle_block.1',
      'output_blocks.3.1', 'output_blocks.4.1', 'output_blocks.5.1', 'output_blocks.6.1', 'output_blocks.7.1',
      'output_blocks.8.1', 'output_blocks.9.1', 'output_blocks.10.1', 'output_blocks.11.1',
    ]);
    const mid = s.blocks[6];
    expect(mid.self).toMatchObject({ tags: { family: { stage: 'mid', level: 3 } }, dimHead: 160, queryTokens: 64, keyTokens: 64, grid: { downsample: 8, tokens: 64 } });
    expect(s.blocks[0].cross).toMatchObject({ dimHead: 40, queryTokens: 4096, keyTokens: 77 });
  });
});
