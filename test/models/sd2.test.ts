import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectModel } from '../../engine/models/detect.ts';
import { expectedUNetTensors, type UNetShapes } from '../../engine/models/unet/shapes.ts';
import { expectedVAETensors } from '../../engine/models/vae/shapes.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { f32, writeHeaderOnly, type KeySpec } from './fixtures.ts';

/** OpenCLIP text tower names as SD 2.x single files store them (written from open_clip's module tree). */
function openClipKeys(width: number, layers: number, vocab: number, proj: number): Map<string, KeySpec> {
  const m = new Map<string, KeySpec>();
  const p = 'cond_stage_model.model.';
  m.set(`${p}token_embedding.weight`, f32([vocab, width]));
  m.set(`${p}positional_embedding`, f32([77, width]));
  for (let i = 0; i < layers; i++) {
    const r = `${p}transformer.resblocks.${i}.`;
    m.set(`${r}attn.in_proj_weight`, f32([3 * width, width]));
    m.set(`${r}attn.in_proj_bias`, f32([3 * width]));
    m.set(`${r}attn.out_proj.weight`, f32([width, width]));
    m.set(`${r}attn.out_proj.bias`, f32([width]));
    for (const ln of ['ln_1', 'ln_2']) {
      m.set(`${r}${ln}.weight`, f32([width]));
      m.set(`${r}${ln}.bias`, f32([width]));
    }
    m.set(`${r}mlp.c_fc.weight`, f32([4 * width, width]));
    m.set(`${r}mlp.c_fc.bias`, f32([4 * width]));
    m.set(`${r}mlp.c_proj.weight`, f32([width, 4 * width]));
    m.set(`${r}mlp.c_proj.bias`, f32([width]));
  }
  m.set(`${p}ln_final.weight`, f32([width]));
  m.set(`${p}ln_final.bias`, f32([width]));
  m.set(`${p}text_projection`, f32([width, proj]));
  m.set(`${p}logit_scale`, f32([]));
  return m;
}

const prefixed = (prefix: string, m: Map<string, number[]>) => [...m].map(([k, s]) => [`${prefix}.${k}`, f32(s)] as [string, KeySpec]);

const tinyUNet: UNetShapes = {
  inChannels: 4,
  outChannels: 4,
  modelChannels: 64,
  channelMult: [1, 2, 2],
  numResBlocks: 1,
  attentionLevels: [0, 1],
  attentionResolutions: [1, 2],
  midBlockAttention: true,
  transformerDepth: [1, 1, 0],
  midTransformerDepth: 1,
  contextDim: 128,
  useLinearProjection: true,
  timeEmbedDim: 256,
  admInChannels: 0,
};
const tinyVAE = { inChannels: 3, outChannels: 3, ch: 32, chMult: [1, 2], numResBlocks: 1, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd2-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sd2File(name: string, unet: UNetShapes = tinyUNet): Promise<string> {
  const path = join(dir, `${name}.safetensors`);
  await writeHeaderOnly(path, [
    ...prefixed('model.diffusion_model', expectedUNetTensors(unet)),
    ...prefixed('first_stage_model', expectedVAETensors(tinyVAE)),
    ...openClipKeys(128, 3, 1000, 64),
  ]);
  return path;
}

describe('SD 2.x single file with an OpenCLIP text tower', () => {
  it('is detected as sd2 with 64-channel heads, linear projections and a penultimate-layer text encoder', async () => {
    const s = (await detectModel(await sd2File('tiny-v2'))) as StableDiffusionSpec;
    expect(s.family).toBe('sd2');
    expect(s.unet).toMatchObject({ modelChannels: 64, channelMult: [1, 2, 2], contextDim: 128, useLinearProjection: true, numHeads: null, numHeadChannels: 64 });
    expect(s.unet.headsPerLevel).toEqual([1, 2, 2]);
    expect(s.textEncoders[0]).toEqual({
      vocabSize: 1000,
      hiddenSize: 128,
      numLayers: 3,
      intermediateSize: 512,
      maxPositions: 77,
      numHeads: 2,
      headsSource: 'family-default',
      hiddenAct: 'gelu',
      skipLastLayers: 1,
      hasPositionIds: false,
    });
    expect(s.prediction).toBe('eps');
    expect(s.predictionSource).toBe('family-default');
    expect(s.warnings.join('\n')).toMatch(/prediction type cannot be read.*eps.*parameterization: v/s);
    expect(s.unexpectedKeys).toEqual([]);
  });

  it('splits in_proj into q/k/v views of consecutive row blocks', async () => {
    const s = await detectModel(await sd2File('tiny-v2-split'));
    const layer = s.weights.scope('cond_stage_model.transformer.text_model.encoder.layers.1.self_attn');
    const [q, k, v] = ['q_proj', 'k_proj', 'v_proj'].map((n) => layer.get(`${n}.weight`));
    expect(q.shape).toEqual([128, 128]);
    expect(q.sourceName).toBe('cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight');
    expect(k.offset - q.offset).toBe(128 * 128 * 4);
    expect(v.offset - k.offset).toBe(128 * 128 * 4);
    expect(layer.get('v_proj.bias')).toMatchObject({ shape: [128], byteLength: 512 });
    expect(s.weights.has('cond_stage_model.model.text_projection')).toBe(false);
    expect(s.weights.get('cond_stage_model.transformer.text_model.final_layer_norm.weight').sourceName).toBe('cond_stage_model.model.ln_final.weight');
  });

  it('takes v-prediction and heads from an LDM .yaml beside the file', async () => {
    const path = await sd2File('tiny-768-v');
    await writeFile(
      join(dir, 'tiny-768-v.yaml'),
      [
        'model:',
        '  target: ldm.models.diffusion.ddpm.LatentDiffusion',
        '  params:',
        '    parameterization: "v"',
        '    scale_factor: 0.18215',
        '    unet_config:',
        '      target: ldm.modules.diffusionmodules.openaimodel.UNetModel',
        '      params:',
        '        model_channels: 64',
        '        num_head_channels: 32 # finer heads than the convention',
        '        use_linear_in_transformer: True',
        '        context_dim: 128',
        '    cond_stage_config:',
        '      target: ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder',
        '      params:',
        '        freeze: True',
        '        layer: "penultimate"',
      ].join('\n'),
    );
    const s = (await detectModel(path)) as StableDiffusionSpec;
    expect(s.prediction).toBe('v');
    expect(s.predictionSource).toBe('config');
    expect(s.configFile).toBe(join(dir, 'tiny-768-v.yaml'));
    expect(s.unet.headsPerLevel).toEqual([2, 4, 4]);
    expect(s.textEncoders[0].skipLastLayers).toBe(1);
    expect(s.warnings).toEqual([]);
  });

  it('inpainting variant (9 input channels)', async () => {
    const s = (await detectModel(await sd2File('tiny-inpaint', { ...tinyUNet, inChannels: 9 }))) as StableDiffusionSpec;
    expect(s.family).toBe('sd2');
    expect(s.inpainting).toBe(true);
  });

  it('widths that 64-channel heads cannot split ask for a config', async () => {
    const e = await detectModel(await sd2File('odd', { ...tinyUNet, modelChannels: 32 })).catch((x: unknown) => x);
    expect((e as { code: string }).code).toBe('CHECKPOINT_UNSUPPORTED');
    expect((e as Error).message).toMatch(/32 channels.*num_head_channels/);
  });
});
