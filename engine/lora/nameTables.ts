import { TEXT, UNET } from '../models/families/ldmFamily.ts';
import { renameTensors } from '../models/keyRules.ts';
import { diffusersUNetRules } from '../models/layouts/diffusersUnet.ts';
import type { UNetConfig } from '../models/spec.ts';
import type { WeightStore } from '../models/weightStore.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/** Model families LoRA files are made for (SDXL's names are known so its files are refused by name). */
export type LoraFamily = 'sd1' | 'sd2' | 'sdxl' | 'dit';

export const FAMILY_LABELS: Readonly<Record<LoraFamily, string>> = {
  sd1: 'Stable Diffusion 1.x', sd2: 'Stable Diffusion 2.x', sdxl: 'SDXL', dit: 'a transformer (DiT) model such as PixArt or Flux',
};

/** Which network of a checkpoint a LoRA module adapts. */
export type LoraComponent = 'unet' | 'text';

/**
 * How one network's modules are named by each LoRA layout: kohya joins the module path with
 * `_` after its prefix, diffusers/PEFT keeps the dots after its prefix. The module paths are
 * those of the model the trainer loaded (diffusers for SD 1.x/2.x UNets, transformers for
 * CLIP), mapped to our canonical checkpoint paths by `modules`.
 */
interface ComponentNames {
  readonly component: LoraComponent;
  readonly kohya: string;
  readonly peft: string;
  /** trainer module path → canonical checkpoint module path (no `.weight`), for this checkpoint. */
  modules(weights: WeightStore, unet: UNetConfig): Map<string, string>;
}

/** The module names each family's LoRA files use; only SD 1.x/2.x are runnable here. */
export const NAME_TABLES: Readonly<Record<'sd1' | 'sd2', readonly ComponentNames[]>> = {
  sd1: [
    { component: 'unet', kohya: 'lora_unet_', peft: 'unet.', modules: diffusersUNetModules },
    { component: 'text', kohya: 'lora_te_', peft: 'text_encoder.', modules: clipTextModules },
  ],
  // sd-scripts loads SD 2.x's OpenCLIP tower as a transformers CLIPTextModel, and our loader
  // splits its fused in_proj into q/k/v, so the names and targets are those of SD 1.x.
  sd2: [
    { component: 'unet', kohya: 'lora_unet_', peft: 'unet.', modules: diffusersUNetModules },
    { component: 'text', kohya: 'lora_te_', peft: 'text_encoder.', modules: clipTextModules },
  ],
};

/**
 * SDXL's names, for recognising its files until the engine runs SDXL (ALGORITHMS-2 §4.1–4.2):
 * the kohya UNet names are LDM paths (`lora_unet_input_blocks_4_1_…`), not diffusers ones;
 * `lora_te1_` is CLIP-L (`conditioner.embedders.0.transformer.` + the transformers path) and
 * `lora_te2_` OpenCLIP bigG (`conditioner.embedders.1.model.`; its q/k/v deltas stack onto
 * the fused `in_proj_weight`); PEFT files use `unet.`, `text_encoder.`, `text_encoder_2.`.
 */
export const SDXL_NAMES = {
  unet: { kohya: 'lora_unet_', peft: 'unet.', canonical: 'model.diffusion_model.', paths: 'ldm' },
  te1: { kohya: 'lora_te1_', peft: 'text_encoder.', canonical: 'conditioner.embedders.0.transformer.', paths: 'transformers' },
  te2: { kohya: 'lora_te2_', peft: 'text_encoder_2.', canonical: 'conditioner.embedders.1.model.', paths: 'open_clip, q/k/v stacked into in_proj_weight' },
} as const;

/** Name prefixes only other families' files use. */
const FOREIGN_PREFIXES: ReadonlyArray<readonly [RegExp, LoraFamily]> = [
  [new RegExp(`^(${SDXL_NAMES.te1.kohya}|${SDXL_NAMES.te2.kohya}|${SDXL_NAMES.te2.peft.replace('.', '\\.')})`), 'sdxl'],
  [/^lora_unet_(input_blocks|middle_block|output_blocks|label_emb)_/, 'sdxl'],
  [/^(lora_transformer_|transformer\.|lora_unet_(double|single)_blocks_)/, 'dit'],
];

/** The kohya and PEFT module names of every adaptable module of this checkpoint → canonical path. */
export function loraNameMap(family: 'sd1' | 'sd2', weights: WeightStore, unet: UNetConfig): Map<string, { path: string; component: LoraComponent }> {
  const out = new Map<string, { path: string; component: LoraComponent }>();
  for (const c of NAME_TABLES[family]) {
    for (const [trainerPath, path] of c.modules(weights, unet)) {
      out.set(c.kohya + trainerPath.replace(/\./g, '_'), { path, component: c.component });
      out.set(c.peft + trainerPath, { path, component: c.component });
    }
  }
  return out;
}

/** transformers CLIPTextModel paths (`text_model.encoder.layers.0.self_attn.q_proj`) of the canonical text tower. */
function clipTextModules(weights: WeightStore): Map<string, string> {
  const out = new Map<string, string>();
  const text = weights.scope(TEXT);
  for (const key of text.keys()) {
    const m = /^(encoder\.layers\.\d+\.(self_attn\.(q|k|v|out)_proj|mlp\.fc[12]))\.weight$/.exec(key);
    if (m) out.set(`text_model.${m[1]}`, text.path(m[1]));
  }
  return out;
}

const RESNET_MEMBERS = ['conv1', 'conv2', 'time_emb_proj', 'conv_shortcut'];
const TRANSFORMER_MEMBERS = ['proj_in', 'proj_out'];
const BLOCK_MEMBERS = ['attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'attn2.to_q', 'attn2.to_k', 'attn2.to_v', 'attn2.to_out.0', 'ff.net.0.proj', 'ff.net.2'];

/**
 * diffusers UNet2DConditionModel module paths of every Linear/Conv sd-scripts can target,
 * generated from the config (underscored names cannot be split back), mapped to LDM paths
 * by the same rules that load diffusers checkpoints, kept when the checkpoint has them.
 */
function diffusersUNetModules(weights: WeightStore, c: UNetConfig): Map<string, string> {
  const levels = c.channelMult.length;
  const paths: string[] = ['conv_in', 'conv_out', 'time_embedding.linear_1', 'time_embedding.linear_2'];
  const attention = (base: string) => {
    paths.push(...TRANSFORMER_MEMBERS.map((m) => `${base}.${m}`));
    for (let k = 0; k < Math.max(1, ...c.transformerDepth, c.midTransformerDepth); k++) paths.push(...BLOCK_MEMBERS.map((m) => `${base}.transformer_blocks.${k}.${m}`));
  };
  const resnet = (base: string) => paths.push(...RESNET_MEMBERS.map((m) => `${base}.${m}`));
  for (let i = 0; i < levels; i++) {
    for (let j = 0; j < c.numResBlocks; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`);
      attention(`down_blocks.${i}.attentions.${j}`);
    }
    paths.push(`down_blocks.${i}.downsamplers.0.conv`);
    for (let j = 0; j <= c.numResBlocks; j++) {
      resnet(`up_blocks.${i}.resnets.${j}`);
      attention(`up_blocks.${i}.attentions.${j}`);
    }
    paths.push(`up_blocks.${i}.upsamplers.0.conv`);
  }
  resnet('mid_block.resnets.0');
  resnet('mid_block.resnets.1');
  attention('mid_block.attentions.0');

  const ctx = {
    R: c.numResBlocks,
    upWithAttention: new Set(Array.from({ length: levels }, (_, i) => i).filter((i) => c.attentionLevels.includes(levels - 1 - i))),
  };
  const fake = paths.map((p): TensorInfo => ({ name: `${p}.weight`, dtype: 'F32', shape: [1], offset: 0, byteLength: 4, file: '' }));
  const { canonical } = renameTensors(fake, diffusersUNetRules, ctx, { passthrough: true });
  const unet = weights.scope(UNET);
  const out = new Map<string, string>();
  for (const [ldm, info] of canonical) {
    const rel = ldm.slice(0, -'.weight'.length);
    if (unet.has(ldm)) out.set(info.sourceName!.slice(0, -'.weight'.length), unet.path(rel));
  }
  return out;
}

/**
 * The family a LoRA file was made for, from its metadata (sd-scripts' `ss_base_model_version`,
 * `ss_v2`), its module names, or the width its cross-attention keys read (768 / 1024 / 2048).
 */
export function loraFamily(metadata: Readonly<Record<string, string>>, modules: ReadonlyMap<string, { readonly name: string }>, widthOf: (name: string) => number | undefined): LoraFamily | undefined {
  const base = metadata.ss_base_model_version ?? '';
  if (base.startsWith('sdxl')) return 'sdxl';
  if (base.startsWith('sd_v2') || metadata.ss_v2 === 'True') return 'sd2';
  for (const name of modules.keys()) for (const [re, family] of FOREIGN_PREFIXES) if (re.test(name)) return family;
  if (base.startsWith('sd_v1')) return 'sd1';
  for (const name of modules.keys()) {
    if (!/attn2[._]to_k$/.test(name)) continue;
    const width = widthOf(name);
    if (width === 768) return 'sd1';
    if (width === 1024) return 'sd2';
    if (width === 2048) return 'sdxl';
  }
  return undefined;
}
