import type { RenameRule } from '../keyRules.ts';

/**
 * The original PixArt-α/Σ checkpoint (`PixArt-XL-2-*.pth` state dict, or its .safetensors
 * conversion) → the canonical PixArt key space, which is diffusers' `transformer/` layout
 * (`PixArtTransformer2DModel`). The canonical side must be the one with separate q/k/v:
 * a fused `qkv` splits into three contiguous byte ranges, separate tensors cannot be fused
 * without a copy. ALGORITHMS-2 §1.9.
 */
export const PIXART_ORIGINAL_FINGERPRINT = 't_block.1.weight';
export const PIXART_DIFFUSERS_FINGERPRINT = 'adaln_single.linear.weight';

/** The learned null caption (T5 space, before y_proj): diffusers drops it, the canonical space keeps it. */
export const PIXART_NULL_CAPTION = 'y_embedding';

const B = String.raw`^blocks\.(\d+)\.`;
const WB = String.raw`\.(weight|bias)$`;
const rule = (from: string, to: string | string[]): RenameRule => ({ from: new RegExp(from), to });
const block = (member: string, to: string | string[]): RenameRule =>
  rule(`${B}${member}${WB}`, Array.isArray(to) ? to.map((t) => `transformer_blocks.$1.${t}.$2`) : `transformer_blocks.$1.${to}.$2`);

export const pixartOriginalRules: RenameRule[] = [
  rule(String.raw`^x_embedder\.proj${WB}`, 'pos_embed.proj.$1'),
  rule(String.raw`^t_embedder\.mlp\.0${WB}`, 'adaln_single.emb.timestep_embedder.linear_1.$1'),
  rule(String.raw`^t_embedder\.mlp\.2${WB}`, 'adaln_single.emb.timestep_embedder.linear_2.$1'),
  // α-1024-MS micro-conditions.
  rule(String.raw`^csize_embedder\.mlp\.0${WB}`, 'adaln_single.emb.resolution_embedder.linear_1.$1'),
  rule(String.raw`^csize_embedder\.mlp\.2${WB}`, 'adaln_single.emb.resolution_embedder.linear_2.$1'),
  rule(String.raw`^ar_embedder\.mlp\.0${WB}`, 'adaln_single.emb.aspect_ratio_embedder.linear_1.$1'),
  rule(String.raw`^ar_embedder\.mlp\.2${WB}`, 'adaln_single.emb.aspect_ratio_embedder.linear_2.$1'),
  // t_block.0 is the SiLU: the index mirrors the original Sequential.
  rule(String.raw`^t_block\.1${WB}`, 'adaln_single.linear.$1'),
  rule(String.raw`^y_embedder\.y_proj\.fc1${WB}`, 'caption_projection.linear_1.$1'),
  rule(String.raw`^y_embedder\.y_proj\.fc2${WB}`, 'caption_projection.linear_2.$1'),
  { from: /^y_embedder\.y_embedding$/, to: PIXART_NULL_CAPTION },
  // The fixed sin-cos table of the base grid: recomputed for every size, as diffusers does.
  { from: /^pos_embed$/, to: null },
  { from: new RegExp(`${B}scale_shift_table$`), to: 'transformer_blocks.$1.scale_shift_table' },
  block(String.raw`attn\.qkv`, ['attn1.to_q', 'attn1.to_k', 'attn1.to_v']),
  block(String.raw`attn\.proj`, 'attn1.to_out.0'),
  block(String.raw`cross_attn\.q_linear`, 'attn2.to_q'),
  block(String.raw`cross_attn\.kv_linear`, ['attn2.to_k', 'attn2.to_v']),
  block(String.raw`cross_attn\.proj`, 'attn2.to_out.0'),
  block(String.raw`mlp\.fc1`, 'ff.net.0.proj'),
  block(String.raw`mlp\.fc2`, 'ff.net.2'),
  rule(String.raw`^final_layer\.linear${WB}`, 'proj_out.$1'),
  { from: /^final_layer\.scale_shift_table$/, to: 'scale_shift_table' },
];
