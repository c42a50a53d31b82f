import type { RenameRule } from '../keyRules.ts';
import { countIndexed } from '../shapeTools.ts';

/**
 * diffusers AutoencoderKL → LDM `first_stage_model` names.
 *
 * diffusers orders decoder up_blocks deepest-first while LDM indexes `decoder.up` by
 * resolution level, so the index is mirrored: up_blocks[i] ↔ up[levels − 1 − i].
 * Mid-block attention projections are Linear [c, c] in current diffusers files and
 * 1x1 convolutions [c, c, 1, 1] in LDM: same bytes, so the canonical view reshapes.
 */
export interface DiffusersVAEContext {
  levels: number;
}

export function diffusersVAEContext(keys: string[]): DiffusersVAEContext {
  return { levels: countIndexed(keys, /^decoder\.up_blocks\.(\d+)\./) };
}

const asConv1x1 = (s: number[]) => (s.length === 2 ? [...s, 1, 1] : s);
const RES = String.raw`(norm1|conv1|norm2|conv2|conv_shortcut)\.(weight|bias)`;
const resMember = (m: string) => (m === 'conv_shortcut' ? 'nin_shortcut' : m);
/** Current names first, then the pre-0.14 ones (query/key/value/proj_attn). */
const ATTN: Record<string, string> = {
  group_norm: 'norm',
  to_q: 'q',
  to_k: 'k',
  to_v: 'v',
  'to_out.0': 'proj_out',
  query: 'q',
  key: 'k',
  value: 'v',
  proj_attn: 'proj_out',
};

type Rule = RenameRule<DiffusersVAEContext>;

export const diffusersVAERules: Rule[] = [
  { from: /^(encoder|decoder)\.conv_in\.(weight|bias)$/, to: '$1.conv_in.$2' },
  { from: /^(encoder|decoder)\.conv_out\.(weight|bias)$/, to: '$1.conv_out.$2' },
  { from: /^(encoder|decoder)\.conv_norm_out\.(weight|bias)$/, to: '$1.norm_out.$2' },
  {
    from: new RegExp(`^encoder\\.down_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.${RES}$`),
    to: (m) => `encoder.down.${m[1]}.block.${m[2]}.${resMember(m[3])}.${m[4]}`,
  },
  { from: /^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(weight|bias)$/, to: 'encoder.down.$1.downsample.conv.$2' },
  {
    from: new RegExp(`^decoder\\.up_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.${RES}$`),
    to: (m, c) => `decoder.up.${c.levels - 1 - Number(m[1])}.block.${m[2]}.${resMember(m[3])}.${m[4]}`,
  },
  {
    from: /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(weight|bias)$/,
    to: (m, c) => `decoder.up.${c.levels - 1 - Number(m[1])}.upsample.conv.${m[2]}`,
  },
  {
    from: new RegExp(`^(encoder|decoder)\\.mid_block\\.resnets\\.([01])\\.${RES}$`),
    to: (m) => `${m[1]}.mid.block_${Number(m[2]) + 1}.${resMember(m[3])}.${m[4]}`,
  },
  {
    from: /^(encoder|decoder)\.mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0|query|key|value|proj_attn)\.(weight|bias)$/,
    to: (m) => `${m[1]}.mid.attn_1.${ATTN[m[2]]}.${m[3]}`,
    reshape: asConv1x1,
  },
  { from: /^(quant_conv|post_quant_conv)\.(weight|bias)$/, to: '$1.$2' },
];

/** transformers CLIPTextModel files (diffusers `text_encoder/`) already use the canonical names. */
export const diffusersTextRules: RenameRule[] = [
  { from: 'text_model.', to: 'cond_stage_model.transformer.text_model.' },
];
