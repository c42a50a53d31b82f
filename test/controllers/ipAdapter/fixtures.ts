import { open } from 'node:fs/promises';
import type { UNetConfig } from '../../../engine/models/spec.ts';
import type { TensorInfo } from '../../../engine/safetensors/types.ts';

/** SD 1.5's UNet as its v1-inference.yaml states it (ALGORITHMS §0.1). */
export const SD15_UNET: UNetConfig = {
  inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4, 4], numResBlocks: 2,
  attentionLevels: [0, 1, 2], attentionResolutions: [4, 2, 1], midBlockAttention: true, transformerDepth: [1, 1, 1, 0],
  midTransformerDepth: 1, contextDim: 768, useLinearProjection: false, timeEmbedDim: 1280, admInChannels: 0, numHeads: 8, numHeadChannels: null,
  headsPerLevel: [8, 8, 8, 8], headsSource: 'config' as UNetConfig['headsSource'],
};

/** Per-layer hidden widths of ip_adapter.{k} in SD 1.5 (ALGORITHMS §3.3 table). */
export const SD15_IP_HIDDEN: Record<number, number> = {
  1: 320, 3: 320, 5: 640, 7: 640, 9: 1280, 11: 1280,
  13: 1280, 15: 1280, 17: 1280, 19: 640, 21: 640, 23: 640, 25: 320, 27: 320, 29: 320, 31: 1280,
};

/** Names and shapes of h94's ip-adapter_sd15.safetensors (no data). */
export function ipAdapterSd15Shapes(): Map<string, number[]> {
  const m = new Map<string, number[]>([
    ['image_proj.proj.weight', [3072, 1024]], ['image_proj.proj.bias', [3072]],
    ['image_proj.norm.weight', [768]], ['image_proj.norm.bias', [768]],
  ]);
  for (const [k, hidden] of Object.entries(SD15_IP_HIDDEN)) {
    m.set(`ip_adapter.${k}.to_k_ip.weight`, [hidden, 768]);
    m.set(`ip_adapter.${k}.to_v_ip.weight`, [hidden, 768]);
  }
  return m;
}

/** Names and shapes of h94's ip-adapter-plus_sd15.safetensors (Resampler: depth 4, 12 heads × 64, 16 queries). */
export function ipAdapterPlusSd15Shapes(): Map<string, number[]> {
  const m = new Map<string, number[]>([
    ['image_proj.latents', [1, 16, 768]],
    ['image_proj.proj_in.weight', [768, 1280]], ['image_proj.proj_in.bias', [768]],
    ['image_proj.proj_out.weight', [768, 768]], ['image_proj.proj_out.bias', [768]],
    ['image_proj.norm_out.weight', [768]], ['image_proj.norm_out.bias', [768]],
  ]);
  for (let i = 0; i < 4; i++) {
    const p = `image_proj.layers.${i}`;
    for (const n of ['norm1', 'norm2']) { m.set(`${p}.0.${n}.weight`, [768]); m.set(`${p}.0.${n}.bias`, [768]); }
    m.set(`${p}.0.to_q.weight`, [768, 768]);
    m.set(`${p}.0.to_kv.weight`, [1536, 768]);
    m.set(`${p}.0.to_out.weight`, [768, 768]);
    m.set(`${p}.1.0.weight`, [768]); m.set(`${p}.1.0.bias`, [768]);
    m.set(`${p}.1.1.weight`, [3072, 768]);
    m.set(`${p}.1.3.weight`, [768, 3072]);
  }
  for (const [k, hidden] of Object.entries(SD15_IP_HIDDEN)) {
    m.set(`ip_adapter.${k}.to_k_ip.weight`, [hidden, 768]);
    m.set(`ip_adapter.${k}.to_v_ip.weight`, [hidden, 768]);
  }
  return m;
}

/** Names and shapes of h94's models/image_encoder/model.safetensors (OpenCLIP ViT-H/14 as CLIPVisionModelWithProjection). */
export function vitH14Shapes(): Map<string, number[]> {
  const H = 1280;
  const m = new Map<string, number[]>([
    ['vision_model.embeddings.class_embedding', [H]],
    ['vision_model.embeddings.patch_embedding.weight', [H, 3, 14, 14]],
    ['vision_model.embeddings.position_embedding.weight', [257, H]],
    ['vision_model.pre_layrnorm.weight', [H]], ['vision_model.pre_layrnorm.bias', [H]],
    ['vision_model.post_layernorm.weight', [H]], ['vision_model.post_layernorm.bias', [H]],
    ['visual_projection.weight', [1024, H]],
  ]);
  for (let i = 0; i < 32; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) { m.set(`${p}.self_attn.${n}.weight`, [H, H]); m.set(`${p}.self_attn.${n}.bias`, [H]); }
    for (const n of ['layer_norm1', 'layer_norm2']) { m.set(`${p}.${n}.weight`, [H]); m.set(`${p}.${n}.bias`, [H]); }
    m.set(`${p}.mlp.fc1.weight`, [5120, H]); m.set(`${p}.mlp.fc1.bias`, [5120]);
    m.set(`${p}.mlp.fc2.weight`, [H, 5120]); m.set(`${p}.mlp.fc2.bias`, [H]);
  }
  return m;
}

/** Header-only tensor infos (F16, packed back to back) for shape maps. */
export function headerInfos(shapes: Map<string, number[]>, file: string): Map<string, TensorInfo> {
  let offset = 0;
  const out = new Map<string, TensorInfo>();
  for (const [name, shape] of shapes) {
    const byteLength = shape.reduce((a, b) => a * b, 1) * 2;
    out.set(name, { name, dtype: 'F16', shape, offset, byteLength, file });
    offset += byteLength;
  }
  return out;
}

/** A .safetensors with a real header and a sparse (never written) data region: names and shapes only. */
export async function writeSparseSafetensors(path: string, shapes: Map<string, number[]>): Promise<void> {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const fh = await open(path, 'w');
  await fh.write(Buffer.concat([prefix, Buffer.from(json)]));
  await fh.truncate(8 + json.length + offset);
  await fh.close();
}
