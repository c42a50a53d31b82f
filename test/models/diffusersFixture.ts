import type { KeySpec } from './fixtures.ts';

/**
 * diffusers tensor names and shapes for the sd15-tiny configuration, written from
 * diffusers' own module structure (UNet2DConditionModel, AutoencoderKL) — independent
 * of the engine's rename tables, so mapping them must reproduce the real LDM key set.
 */
const BLOCKS = [32, 64, 96, 96];
const R = 2;
const T = 128;
const CONTEXT = 64;
const ATTN = [true, true, true, false]; // CrossAttnDownBlock2D ×3, DownBlock2D

class Table {
  readonly m = new Map<string, KeySpec>();
  add(n: string, shape: number[]) {
    this.m.set(n, { dtype: 'F32', shape });
  }
  lin(p: string, o: number, i: number, bias = true) {
    this.add(`${p}.weight`, [o, i]);
    if (bias) this.add(`${p}.bias`, [o]);
  }
  conv(p: string, o: number, i: number, k: number) {
    this.add(`${p}.weight`, [o, i, k, k]);
    this.add(`${p}.bias`, [o]);
  }
  norm(p: string, c: number) {
    this.add(`${p}.weight`, [c]);
    this.add(`${p}.bias`, [c]);
  }
}

export function diffusersUNetKeys(): Map<string, KeySpec> {
  const t = new Table();
  const resnet = (p: string, cin: number, cout: number) => {
    t.norm(`${p}.norm1`, cin);
    t.conv(`${p}.conv1`, cout, cin, 3);
    t.lin(`${p}.time_emb_proj`, cout, T);
    t.norm(`${p}.norm2`, cout);
    t.conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) t.conv(`${p}.conv_shortcut`, cout, cin, 1);
  };
  const transformer = (p: string, c: number) => {
    t.norm(`${p}.norm`, c);
    t.conv(`${p}.proj_in`, c, c, 1);
    t.conv(`${p}.proj_out`, c, c, 1);
    const b = `${p}.transformer_blocks.0`;
    for (const [a, kv] of [['attn1', c], ['attn2', CONTEXT]] as const) {
      t.lin(`${b}.${a}.to_q`, c, c, false);
      t.lin(`${b}.${a}.to_k`, c, kv, false);
      t.lin(`${b}.${a}.to_v`, c, kv, false);
      t.lin(`${b}.${a}.to_out.0`, c, c);
    }
    t.lin(`${b}.ff.net.0.proj`, 8 * c, c);
    t.lin(`${b}.ff.net.2`, c, 4 * c);
    for (const n of ['norm1', 'norm2', 'norm3']) t.norm(`${b}.${n}`, c);
  };
  t.conv('conv_in', BLOCKS[0], 4, 3);
  t.lin('time_embedding.linear_1', T, BLOCKS[0]);
  t.lin('time_embedding.linear_2', T, T);
  let ch = BLOCKS[0];
  const skips = [ch];
  BLOCKS.forEach((out, i) => {
    for (let j = 0; j < R; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, ch, out);
      ch = out;
      if (ATTN[i]) transformer(`down_blocks.${i}.attentions.${j}`, ch);
      skips.push(ch);
    }
    if (i < BLOCKS.length - 1) {
      t.conv(`down_blocks.${i}.downsamplers.0.conv`, ch, ch, 3);
      skips.push(ch);
    }
  });
  resnet('mid_block.resnets.0', ch, ch);
  transformer('mid_block.attentions.0', ch);
  resnet('mid_block.resnets.1', ch, ch);
  for (let i = 0; i < BLOCKS.length; i++) {
    const level = BLOCKS.length - 1 - i;
    for (let j = 0; j <= R; j++) {
      resnet(`up_blocks.${i}.resnets.${j}`, ch + skips.pop()!, BLOCKS[level]);
      ch = BLOCKS[level];
      if (ATTN[level]) transformer(`up_blocks.${i}.attentions.${j}`, ch);
    }
    if (i < BLOCKS.length - 1) t.conv(`up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
  }
  t.norm('conv_norm_out', ch);
  t.conv('conv_out', 4, ch, 3);
  return t.m;
}

export function diffusersVAEKeys(): Map<string, KeySpec> {
  const t = new Table();
  const resnet = (p: string, cin: number, cout: number) => {
    t.norm(`${p}.norm1`, cin);
    t.conv(`${p}.conv1`, cout, cin, 3);
    t.norm(`${p}.norm2`, cout);
    t.conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) t.conv(`${p}.conv_shortcut`, cout, cin, 1);
  };
  const mid = (p: string, c: number) => {
    resnet(`${p}.mid_block.resnets.0`, c, c);
    t.norm(`${p}.mid_block.attentions.0.group_norm`, c);
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) t.lin(`${p}.mid_block.attentions.0.${n}`, c, c);
    resnet(`${p}.mid_block.resnets.1`, c, c);
  };
  t.conv('encoder.conv_in', BLOCKS[0], 3, 3);
  let ch = BLOCKS[0];
  BLOCKS.forEach((out, i) => {
    for (let j = 0; j < R; j++) {
      resnet(`encoder.down_blocks.${i}.resnets.${j}`, ch, out);
      ch = out;
    }
    if (i < BLOCKS.length - 1) t.conv(`encoder.down_blocks.${i}.downsamplers.0.conv`, ch, ch, 3);
  });
  mid('encoder', ch);
  t.norm('encoder.conv_norm_out', ch);
  t.conv('encoder.conv_out', 8, ch, 3);
  t.conv('decoder.conv_in', ch, 4, 3);
  mid('decoder', ch);
  for (let i = 0; i < BLOCKS.length; i++) {
    const out = BLOCKS[BLOCKS.length - 1 - i];
    for (let j = 0; j <= R; j++) {
      resnet(`decoder.up_blocks.${i}.resnets.${j}`, ch, out);
      ch = out;
    }
    if (i < BLOCKS.length - 1) t.conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
  }
  t.norm('decoder.conv_norm_out', ch);
  t.conv('decoder.conv_out', 3, ch, 3);
  t.conv('quant_conv', 8, 8, 1);
  t.conv('post_quant_conv', 4, 4, 1);
  return t.m;
}

export const unetConfig = {
  _class_name: 'UNet2DConditionModel',
  in_channels: 4,
  out_channels: 4,
  block_out_channels: BLOCKS,
  layers_per_block: R,
  cross_attention_dim: CONTEXT,
  attention_head_dim: 8,
  use_linear_projection: false,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
};
export const vaeConfig = { _class_name: 'AutoencoderKL', block_out_channels: BLOCKS, latent_channels: 4, scaling_factor: 0.18215 };
export const textConfig = {
  architectures: ['CLIPTextModel'],
  hidden_size: 64,
  intermediate_size: 256,
  num_attention_heads: 4,
  num_hidden_layers: 2,
  hidden_act: 'quick_gelu',
  max_position_embeddings: 77,
  vocab_size: 49408,
};
