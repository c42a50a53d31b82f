import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { randomArray } from '../graph/reference.ts';

/** A small random CLIP vision tower (transformers layout) and its config.json, in `folder`. */
export async function writeTinyImageEncoder(folder: string, o: { hidden?: number; layers?: number; heads?: number; patch?: number; image?: number; projection?: number } = {}): Promise<void> {
  const H = o.hidden ?? 32, L = o.layers ?? 2, heads = o.heads ?? 4, P = o.patch ?? 14, S = o.image ?? 28, proj = o.projection ?? 48;
  const grid = S / P;
  const t: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  let seed = 1;
  const add = (name: string, shape: number[], kind: 'w' | 'one' = 'w') => {
    const n = shape.reduce((a, b) => a * b, 1);
    const r = randomArray(n, seed++, kind === 'one' ? 0.1 : 0.3);
    t[name] = { dtype: 'F32', shape, data: kind === 'one' ? r.map((x) => 1 + x) : r };
  };
  add('vision_model.embeddings.class_embedding', [H]);
  add('vision_model.embeddings.patch_embedding.weight', [H, 3, P, P]);
  add('vision_model.embeddings.position_embedding.weight', [1 + grid * grid, H]);
  for (const n of ['pre_layrnorm', 'post_layernorm']) { add(`vision_model.${n}.weight`, [H], 'one'); add(`vision_model.${n}.bias`, [H]); }
  for (let i = 0; i < L; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) { add(`${p}.self_attn.${n}.weight`, [H, H]); add(`${p}.self_attn.${n}.bias`, [H]); }
    for (const n of ['layer_norm1', 'layer_norm2']) { add(`${p}.${n}.weight`, [H], 'one'); add(`${p}.${n}.bias`, [H]); }
    add(`${p}.mlp.fc1.weight`, [4 * H, H]); add(`${p}.mlp.fc1.bias`, [4 * H]);
    add(`${p}.mlp.fc2.weight`, [H, 4 * H]); add(`${p}.mlp.fc2.bias`, [H]);
  }
  add('visual_projection.weight', [proj, H]);
  mkdirSync(folder, { recursive: true });
  await writeSafetensors(join(folder, 'model.safetensors'), t);
  writeFileSync(join(folder, 'config.json'), JSON.stringify({
    hidden_size: H, num_hidden_layers: L, num_attention_heads: heads, patch_size: P, image_size: S, projection_dim: proj, hidden_act: 'gelu', layer_norm_eps: 1e-5,
  }));
}

/**
 * A small random base IP-Adapter (ImageProjModel, 4 tokens) for a UNet whose cross sites in
 * diffusers processor order have `widths` channels, with `context`-wide tokens.
 */
export async function writeTinyIpAdapter(file: string, widths: readonly number[], o: { context?: number; feature?: number; tokens?: number } = {}): Promise<void> {
  const D = o.context ?? 64, E = o.feature ?? 48, T = o.tokens ?? 4;
  const t: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
    'image_proj.proj.weight': { dtype: 'F32', shape: [T * D, E], data: randomArray(T * D * E, 501, 0.3) },
    'image_proj.proj.bias': { dtype: 'F32', shape: [T * D], data: randomArray(T * D, 502, 0.3) },
    'image_proj.norm.weight': { dtype: 'F32', shape: [D], data: randomArray(D, 503, 0.1).map((x) => 1 + x) },
    'image_proj.norm.bias': { dtype: 'F32', shape: [D], data: randomArray(D, 504, 0.1) },
  };
  widths.forEach((c, r) => {
    t[`ip_adapter.${2 * r + 1}.to_k_ip.weight`] = { dtype: 'F32', shape: [c, D], data: randomArray(c * D, 600 + 2 * r, 0.5) };
    t[`ip_adapter.${2 * r + 1}.to_v_ip.weight`] = { dtype: 'F32', shape: [c, D], data: randomArray(c * D, 601 + 2 * r, 0.5) };
  });
  mkdirSync(dirname(file), { recursive: true });
  await writeSafetensors(file, t);
}

/** A small random plus IP-Adapter (Resampler: depth 2, 2 heads × 64, `tokens` queries) reading `feature`-wide hidden states. */
export async function writeTinyIpAdapterPlus(file: string, widths: readonly number[], o: { context?: number; feature?: number; tokens?: number } = {}): Promise<void> {
  const D = o.context ?? 64, E = o.feature ?? 32, T = o.tokens ?? 6, inner = 128;
  const t: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  let seed = 900;
  const add = (name: string, shape: number[], one = false) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const r = randomArray(n, seed++, one ? 0.1 : 0.3);
    t[name] = { dtype: 'F32', shape, data: one ? r.map((x) => 1 + x) : r };
  };
  add('image_proj.latents', [1, T, D]);
  add('image_proj.proj_in.weight', [D, E]); add('image_proj.proj_in.bias', [D]);
  add('image_proj.proj_out.weight', [D, D]); add('image_proj.proj_out.bias', [D]);
  add('image_proj.norm_out.weight', [D], true); add('image_proj.norm_out.bias', [D]);
  for (let i = 0; i < 2; i++) {
    const p = `image_proj.layers.${i}`;
    for (const n of ['norm1', 'norm2']) { add(`${p}.0.${n}.weight`, [D], true); add(`${p}.0.${n}.bias`, [D]); }
    add(`${p}.0.to_q.weight`, [inner, D]); add(`${p}.0.to_kv.weight`, [2 * inner, D]); add(`${p}.0.to_out.weight`, [D, inner]);
    add(`${p}.1.0.weight`, [D], true); add(`${p}.1.0.bias`, [D]);
    add(`${p}.1.1.weight`, [4 * D, D]); add(`${p}.1.3.weight`, [D, 4 * D]);
  }
  widths.forEach((c, r) => {
    add(`ip_adapter.${2 * r + 1}.to_k_ip.weight`, [c, D]);
    add(`ip_adapter.${2 * r + 1}.to_v_ip.weight`, [c, D]);
  });
  mkdirSync(dirname(file), { recursive: true });
  await writeSafetensors(file, t);
}
