import type { TensorInfo } from '../../safetensors/types.ts';
import { unexpectedWarning } from '../completeness.ts';
import type { RenameRule } from '../keyRules.ts';
import { detectTextEncoderShapes, expectedTextEncoderTensors, type TextEncoderShapes } from '../clip/shapes.ts';
import { unsupported } from '../shapeTools.ts';
import { detectUNetShapes, expectedUNetTensors, type UNetShapes } from '../unet/shapes.ts';
import { detectVAEConfig, expectedVAETensors } from '../vae/shapes.ts';
import type {
  CheckpointLayout,
  ConfigHints,
  Prediction,
  StableDiffusionSpec,
  TextEncoderConfig,
  UNetConfig,
  VAEConfig,
} from '../spec.ts';
import type { WeightStore } from '../weightStore.ts';
import { weightDType } from './dtype.ts';
import { PartCheck } from './partCheck.ts';

/** Classifier-free guidance for a model whose config names none: the scale SD 1.x/2.x are used at. */
export const DEFAULT_GUIDANCE_SCALE = 7.5;

/** One Stable Diffusion family: how to recognise it and what it assumes where shapes are silent. */
export interface LdmFamilyRecord {
  family: 'sd1' | 'sd2';
  description: string;
  /**
   * Key prefixes that identify the family in a single LDM file: each must own at least one
   * key. Prefixes rather than single keys, so a file missing one tensor is still
   * recognised and reported as incomplete instead of unknown.
   */
  fingerprint: string[];
  /** Single-file keys outside the canonical space (keys no rule matches pass through). */
  singleFileRules: RenameRule[];
  defaults: {
    unetHeads: { numHeads: number } | { numHeadChannels: number };
    /** Text-encoder heads are hidden / textHeadDim (CLIP-L: 768/64 = 12, OpenCLIP-H: 1024/64 = 16). */
    textHeadDim: number;
    textHiddenAct: TextEncoderConfig['hiddenAct'];
    textSkipLastLayers: number;
    prediction: Prediction;
    /** Said to the user when the prediction type is assumed rather than read from a config. */
    predictionNote?: string;
    scaleFactor: number;
    /** Default output side (SD 1.x: 512); v-prediction SD 2.x models were trained at 768. */
    nativeSize: number;
    nativeSizeV: number;
  };
}

export const UNET = 'model.diffusion_model';
export const VAE = 'first_stage_model';
export const TEXT = 'cond_stage_model.transformer.text_model';

/** Tensors real LDM files carry besides the three networks; present or not, never a warning. */
const LDM_EXTRAS = [
  /^(betas|alphas_cumprod|alphas_cumprod_prev|sqrt_alphas_cumprod|sqrt_one_minus_alphas_cumprod|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod|sqrt_recipm1_alphas_cumprod|posterior_variance|posterior_log_variance_clipped|posterior_mean_coef1|posterior_mean_coef2|logvar|lvlb_weights|scale_factor)$/,
  /^model_ema\./,
  /^cond_stage_model\.transformer\.text_model\.embeddings\.position_ids$/,
];

export interface AssembleInput {
  label: string;
  layout: CheckpointLayout;
  tensors: ReadonlyMap<string, TensorInfo>;
  hints?: ConfigHints;
  tokenizerDir?: string;
  warnings?: string[];
}

/** Detects every dimension from canonical shapes, checks completeness, fills the rest from config or convention. */
export function assembleStableDiffusion(record: LdmFamilyRecord, input: AssembleInput): StableDiffusionSpec {
  const { label, tensors, hints } = input;
  const parts = new PartCheck(label, tensors);
  const store = parts.store;
  const unetShapes = parts.part(UNET, detectUNetShapes, expectedUNetTensors);
  const vae = parts.part(VAE, detectVAEConfig, expectedVAETensors);
  const text = parts.part(TEXT, detectTextEncoderShapes, expectedTextEncoderTensors);
  const unexpected = parts.finish(record.description, record.family, LDM_EXTRAS);
  if (!unetShapes || !vae || !text) throw new Error('unreachable: finish() throws for a part that failed');

  const warnings = [...(input.warnings ?? [])];
  const d = record.defaults;
  const prediction = hints?.prediction ?? d.prediction;
  if (!hints?.prediction && d.predictionNote) warnings.push(d.predictionNote);
  const unet: UNetConfig = { ...unetShapes, ...resolveUNetHeads(label, unetShapes, hints, record) };
  const textEncoder = resolveText(label, text, hints, record);
  warnings.push(...declaredMismatches(hints, unetShapes, vae, text), ...unexpectedWarning(unexpected));
  if (unet.inChannels !== 4 && unet.inChannels !== 9) {
    warnings.push(`UNet takes ${unet.inChannels} input channels: neither txt2img (4) nor inpainting (9)`);
  }

  return {
    family: record.family,
    ...specHead(input, store, unexpected, warnings),
    prediction,
    predictionSource: hints?.prediction ? 'config' : 'family-default',
    inpainting: unet.inChannels === 9,
    scaleFactor: hints?.scaleFactor ?? d.scaleFactor,
    nativeSize: hints?.nativeSize ?? (prediction === 'v' ? d.nativeSizeV : d.nativeSize),
    guidanceScale: hints?.guidanceScale ?? DEFAULT_GUIDANCE_SCALE,
    unet,
    vae,
    textEncoders: [textEncoder],
    ...(input.tokenizerDir ? { tokenizerDir: input.tokenizerDir } : {}),
  };
}

/** The fields every detected checkpoint states about its files and how they were read. */
export function specHead(input: AssembleInput, store: WeightStore, unexpected: string[], warnings: string[]) {
  return {
    layout: input.layout,
    files: store.files(),
    ...(input.hints?.source ? { configFile: input.hints.source } : {}),
    weights: store,
    weightDType: weightDType(input.tensors.values()),
    unexpectedKeys: unexpected,
    warnings,
  };
}

type Heads = Pick<UNetConfig, 'numHeads' | 'numHeadChannels' | 'headsPerLevel' | 'headsSource'>;
/** What head and text conventions a family supplies (the SD records, SDXL's). */
export type HeadConvention = { family: string; defaults: Pick<LdmFamilyRecord['defaults'], 'unetHeads'> };
export type TextConvention = { defaults: Pick<LdmFamilyRecord['defaults'], 'textHeadDim' | 'textHiddenAct' | 'textSkipLastLayers'> };

export function resolveUNetHeads(label: string, s: UNetShapes, hints: ConfigHints | undefined, record: HeadConvention): Heads {
  const levels = s.channelMult.length;
  const list = hints?.unetHeadsPerLevel;
  let numHeads: number | null = null;
  let numHeadChannels: number | null = null;
  let source: Heads['headsSource'] = 'config';
  if (list) {
    if (list.length !== levels) throw unsupported(label, `config lists heads for ${list.length} levels, UNet has ${levels}`);
    if (list.every((h) => h === list[0])) numHeads = list[0];
  } else if (hints?.unetNumHeadChannels) numHeadChannels = hints.unetNumHeadChannels;
  else if (hints?.unetNumHeads) numHeads = hints.unetNumHeads;
  else {
    source = 'family-default';
    const h = record.defaults.unetHeads;
    if ('numHeads' in h) numHeads = h.numHeads;
    else numHeadChannels = h.numHeadChannels;
  }
  const used = (l: number) => s.attentionLevels.includes(l) || (l === levels - 1 && s.midBlockAttention);
  const headsPerLevel = s.channelMult.map((m, l) => {
    if (!used(l)) return 0;
    const width = m * s.modelChannels;
    const heads = list ? list[l] : numHeadChannels ? width / numHeadChannels : numHeads!;
    if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
      const rule = list ? 'the config' : numHeadChannels ? `${numHeadChannels}-channel heads` : `${numHeads} heads`;
      throw unsupported(
        label,
        `UNet level ${l} has ${width} channels, which ${rule} (${source === 'config' ? 'from config' : `${record.family} convention`}) cannot divide; pass a config with num_heads or num_head_channels`,
      );
    }
    return heads;
  });
  return { numHeads, numHeadChannels, headsPerLevel, headsSource: source };
}

export function resolveText(
  label: string,
  s: TextEncoderShapes,
  hints: ConfigHints | undefined,
  record: TextConvention,
): TextEncoderConfig {
  const d = record.defaults;
  const numHeads = hints?.textNumHeads ?? s.hiddenSize / d.textHeadDim;
  if (!Number.isInteger(numHeads) || s.hiddenSize % numHeads !== 0) {
    throw unsupported(label, `text encoder width ${s.hiddenSize} does not split into ${d.textHeadDim}-wide heads; pass a config with num_attention_heads`);
  }
  const skip = hints?.textSkipLastLayers ?? d.textSkipLastLayers;
  if (skip >= s.numLayers) throw unsupported(label, `cannot skip ${skip} of ${s.numLayers} text-encoder layers`);
  return {
    ...s,
    numHeads,
    headsSource: hints?.textNumHeads ? 'config' : 'family-default',
    hiddenAct: hints?.textHiddenAct ?? d.textHiddenAct,
    skipLastLayers: skip,
  };
}

/** Shapes always win; a config that states other dimensions probably belongs to another model. */
function declaredMismatches(hints: ConfigHints | undefined, u: UNetShapes, v: VAEConfig, t: TextEncoderShapes): string[] {
  const decl = hints?.declared;
  if (!decl) return [];
  const pairs: Array<[string, unknown, unknown]> = [
    ['UNet model_channels', decl.modelChannels, u.modelChannels],
    ['UNet channel_mult', decl.channelMult, u.channelMult],
    ['UNet num_res_blocks', decl.numResBlocks, u.numResBlocks],
    ['UNet context_dim', decl.contextDim, u.contextDim],
    ['UNet transformer_depth', decl.transformerDepth, uniformDepth(u)],
    ['UNet in_channels', decl.inChannels, u.inChannels],
    ['VAE ch', decl.vaeCh, v.ch],
    ['VAE ch_mult', decl.vaeChMult, v.chMult],
    ['text hidden_size', decl.textHiddenSize, t.hiddenSize],
    ['text num_hidden_layers', decl.textNumLayers, t.numLayers],
  ];
  return pairs
    .filter(([, said, got]) => said !== undefined && JSON.stringify(said) !== JSON.stringify(got))
    .map(([what, said, got]) => `${hints!.source}: ${what} says ${JSON.stringify(said)} but the weights have ${JSON.stringify(got)}; using the weights`);
}

/** The one depth of an SD 1.x/2.x UNet as an LDM yaml states it (an int), or the per-level list when levels differ. */
function uniformDepth(u: UNetShapes): number | number[] {
  const used = new Set([...u.attentionLevels.map((l) => u.transformerDepth[l]), ...(u.midBlockAttention ? [u.midTransformerDepth] : [])]);
  return used.size === 1 ? [...used][0] : u.transformerDepth;
}
