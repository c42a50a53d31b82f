import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SDXLSpec } from '../../../engine/models/spec.ts';
import { readFloat32 } from '../../../engine/safetensors/reader.ts';
import { type TensorToWrite, writeSafetensors } from '../../../engine/safetensors/writer.ts';
import { diffusersVAEKeys } from '../diffusersFixture.ts';
import { numel } from '../fixtures.ts';

/**
 * diffusers UNet2DConditionModel names for the sdxl-tiny UNet, written from diffusers' module
 * structure (DownBlock2D at level 0, CrossAttn blocks with `transformer_layers_per_block`
 * [1, 2] at levels 1-2, `add_embedding` for the text_time conditioning) — independent of the
 * engine's rename tables.
 */
function sdxlTinyUNetKeys(): Map<string, number[]> {
  const BLOCKS = [32, 64, 96];
  const DEPTH = [0, 1, 2];
  const T = 128;
  const CONTEXT = 80;
  const m = new Map<string, number[]>();
  const lin = (p: string, o: number, i: number, bias = true) => {
    m.set(`${p}.weight`, [o, i]);
    if (bias) m.set(`${p}.bias`, [o]);
  };
  const conv = (p: string, o: number, i: number, k: number) => {
    m.set(`${p}.weight`, [o, i, k, k]);
    m.set(`${p}.bias`, [o]);
  };
  const ln = (p: string, c: number) => {
    m.set(`${p}.weight`, [c]);
    m.set(`${p}.bias`, [c]);
  };
  const resnet = (p: string, cin: number, cout: number) => {
    ln(`${p}.norm1`, cin);
    conv(`${p}.conv1`, cout, cin, 3);
    lin(`${p}.time_emb_proj`, cout, T);
    ln(`${p}.norm2`, cout);
    conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${p}.conv_shortcut`, cout, cin, 1);
  };
  const transformer = (p: string, c: number, depth: number) => {
    ln(`${p}.norm`, c);
    lin(`${p}.proj_in`, c, c);
    lin(`${p}.proj_out`, c, c);
    for (let d = 0; d < depth; d++) {
      const b = `${p}.transformer_blocks.${d}`;
      for (const [a, kv] of [['attn1', c], ['attn2', CONTEXT]] as const) {
        lin(`${b}.${a}.to_q`, c, c, false);
        lin(`${b}.${a}.to_k`, c, kv, false);
        lin(`${b}.${a}.to_v`, c, kv, false);
        lin(`${b}.${a}.to_out.0`, c, c);
      }
      lin(`${b}.ff.net.0.proj`, 8 * c, c);
      lin(`${b}.ff.net.2`, c, 4 * c);
      for (const n of ['norm1', 'norm2', 'norm3']) ln(`${b}.${n}`, c);
    }
  };
  conv('conv_in', BLOCKS[0], 4, 3);
  lin('time_embedding.linear_1', T, BLOCKS[0]);
  lin('time_embedding.linear_2', T, T);
  lin('add_embedding.linear_1', T, 1576);
  lin('add_embedding.linear_2', T, T);
  let ch = BLOCKS[0];
  const skips = [ch];
  BLOCKS.forEach((out, i) => {
    for (let j = 0; j < 2; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, ch, out);
      ch = out;
      if (DEPTH[i]) transformer(`down_blocks.${i}.attentions.${j}`, ch, DEPTH[i]);
      skips.push(ch);
    }
    if (i < BLOCKS.length - 1) {
      conv(`down_blocks.${i}.downsamplers.0.conv`, ch, ch, 3);
      skips.push(ch);
    }
  });
  resnet('mid_block.resnets.0', ch, ch);
  transformer('mid_block.attentions.0', ch, 2);
  resnet('mid_block.resnets.1', ch, ch);
  for (let i = 0; i < BLOCKS.length; i++) {
    const level = BLOCKS.length - 1 - i;
    for (let j = 0; j <= 2; j++) {
      resnet(`up_blocks.${i}.resnets.${j}`, ch + skips.pop()!, BLOCKS[level]);
      ch = BLOCKS[level];
      if (DEPTH[level]) transformer(`up_blocks.${i}.attentions.${j}`, ch, DEPTH[level]);
    }
    if (i < BLOCKS.length - 1) conv(`up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
  }
  ln('conv_norm_out', ch);
  conv('conv_out', 4, ch, 3);
  return m;
}

const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.05);

/**
 * An SDXL diffusers folder for the sdxl-tiny configuration: UNet and VAE with stand-in values
 * (their names are what is checked), and both text encoders with sdxl-tiny's own weights in
 * transformers naming — bigG's projection as a Linear [40, 48], the transpose of the
 * single file's x·P matrix — so the folder's encoders must reproduce the goldens.
 */
export async function writeSDXLDiffusersFolder(dir: string, single: SDXLSpec): Promise<void> {
  for (const d of ['unet', 'vae', 'text_encoder', 'text_encoder_2', 'scheduler']) await mkdir(join(dir, d), { recursive: true });
  const json = (p: string, v: unknown) => writeFile(join(dir, p), JSON.stringify(v));
  await json('model_index.json', { _class_name: 'StableDiffusionXLPipeline' });
  await json('unet/config.json', {
    _class_name: 'UNet2DConditionModel', block_out_channels: [32, 64, 96], layers_per_block: 2, cross_attention_dim: 80,
    attention_head_dim: [2, 4, 6], addition_embed_type: 'text_time', addition_time_embed_dim: 256, projection_class_embeddings_input_dim: 1576,
    transformer_layers_per_block: [1, 1, 2], in_channels: 4, sample_size: 128,
  });
  await json('vae/config.json', { _class_name: 'AutoencoderKL', block_out_channels: [32, 64, 96, 96], scaling_factor: 0.13025 });
  await json('text_encoder/config.json', { num_attention_heads: 2, hidden_act: 'quick_gelu', hidden_size: 32, num_hidden_layers: 3 });
  await json('text_encoder_2/config.json', { num_attention_heads: 3, hidden_act: 'gelu', hidden_size: 48, num_hidden_layers: 3, projection_dim: 40 });
  await json('scheduler/scheduler_config.json', { _class_name: 'EulerDiscreteScheduler', prediction_type: 'epsilon' });

  const stand = (keys: Map<string, number[]>) => new Map<string, TensorToWrite>([...keys].map(([k, shape], i) => [k, { dtype: 'F32', shape, data: random(numel(shape), i) }]));
  await writeSafetensors(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'), stand(sdxlTinyUNetKeys()));
  await writeSafetensors(join(dir, 'vae', 'diffusion_pytorch_model.safetensors'), stand(new Map([...diffusersVAEKeys()].map(([k, v]) => [k, v.shape]))));

  const tower = async (canonical: string) => {
    const out = new Map<string, TensorToWrite>();
    for (const [k, info] of single.weights.scope(canonical).entries()) {
      if (k.endsWith('position_ids')) continue;
      out.set(`text_model.${k}`, { dtype: 'F32', shape: [...info.shape], data: await readFloat32(info) });
    }
    return out;
  };
  await writeSafetensors(join(dir, 'text_encoder', 'model.safetensors'), await tower('conditioner.embedders.0.transformer.text_model'));
  const g = await tower('conditioner.embedders.1.transformer.text_model');
  const p = single.weights.get('conditioner.embedders.1.transformer.text_projection'); // [48, 40], x·P
  const P = await readFloat32(p);
  const [W, D] = p.shape;
  const linear = new Float32Array(W * D);
  for (let i = 0; i < W; i++) for (let j = 0; j < D; j++) linear[j * W + i] = P[i * D + j];
  g.set('text_projection.weight', { dtype: 'F32', shape: [D, W], data: linear });
  await writeSafetensors(join(dir, 'text_encoder_2', 'model.safetensors'), g);
}
