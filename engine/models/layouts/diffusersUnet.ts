import type { RenameRule } from '../keyRules.ts';
import { countIndexed } from '../shapeTools.ts';

/**
 * diffusers UNet2DConditionModel → LDM `model.diffusion_model` names.
 *
 * diffusers nests blocks (down_blocks[i].resnets[j]); LDM numbers them in one flat
 * Sequential per path, so the target index depends on layers_per_block (R) and on which
 * up levels carry attention (the upsampler's sub-index follows the transformer).
 */
export interface DiffusersUNetContext {
  /** ResBlocks per down level (diffusers layers_per_block). */
  R: number;
  /** Up-block indices (diffusers order: deepest first) that carry attentions. */
  upWithAttention: Set<number>;
}

export function diffusersUNetContext(keys: string[]): DiffusersUNetContext {
  const R = countIndexed(keys, /^down_blocks\.0\.resnets\.(\d+)\./);
  const upWithAttention = new Set<number>();
  for (const k of keys) {
    const m = /^up_blocks\.(\d+)\.attentions\./.exec(k);
    if (m) upWithAttention.add(Number(m[1]));
  }
  return { R, upWithAttention };
}

/** diffusers ResnetBlock2D member → LDM ResBlock member (Sequential indices). */
const RESNET: Record<string, string> = {
  norm1: 'in_layers.0',
  conv1: 'in_layers.2',
  time_emb_proj: 'emb_layers.1',
  norm2: 'out_layers.0',
  conv2: 'out_layers.3',
  conv_shortcut: 'skip_connection',
};
const resnet = (member: string, rest: string) => `${RESNET[member]}.${rest}`;
const RES_MEMBER = String.raw`(norm1|conv1|time_emb_proj|norm2|conv2|conv_shortcut)\.(weight|bias)`;

type Rule = RenameRule<DiffusersUNetContext>;
const n = Number;

export const diffusersUNetRules: Rule[] = [
  { from: /^time_embedding\.linear_1\.(weight|bias)$/, to: 'time_embed.0.$1' },
  { from: /^time_embedding\.linear_2\.(weight|bias)$/, to: 'time_embed.2.$1' },
  { from: /^conv_in\.(weight|bias)$/, to: 'input_blocks.0.0.$1' },
  {
    from: new RegExp(`^down_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.${RES_MEMBER}$`),
    to: (m, c) => `input_blocks.${1 + n(m[1]) * (c.R + 1) + n(m[2])}.0.${resnet(m[3], m[4])}`,
  },
  {
    // Transformer2DModel members already use LDM's SpatialTransformer names.
    from: /^down_blocks\.(\d+)\.attentions\.(\d+)\.(.+)$/,
    to: (m, c) => `input_blocks.${1 + n(m[1]) * (c.R + 1) + n(m[2])}.1.${m[3]}`,
  },
  {
    from: /^down_blocks\.(\d+)\.downsamplers\.0\.conv\.(weight|bias)$/,
    to: (m, c) => `input_blocks.${(n(m[1]) + 1) * (c.R + 1)}.0.op.${m[2]}`,
  },
  { from: new RegExp(`^mid_block\\.resnets\\.0\\.${RES_MEMBER}$`), to: (m) => `middle_block.0.${resnet(m[1], m[2])}` },
  { from: /^mid_block\.attentions\.0\.(.+)$/, to: 'middle_block.1.$1' },
  { from: new RegExp(`^mid_block\\.resnets\\.1\\.${RES_MEMBER}$`), to: (m) => `middle_block.2.${resnet(m[1], m[2])}` },
  {
    // Up blocks have R + 1 ResBlocks (one per skip connection), as many as LDM's output_blocks per level.
    from: new RegExp(`^up_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.${RES_MEMBER}$`),
    to: (m, c) => `output_blocks.${n(m[1]) * (c.R + 1) + n(m[2])}.0.${resnet(m[3], m[4])}`,
  },
  {
    from: /^up_blocks\.(\d+)\.attentions\.(\d+)\.(.+)$/,
    to: (m, c) => `output_blocks.${n(m[1]) * (c.R + 1) + n(m[2])}.1.${m[3]}`,
  },
  {
    from: /^up_blocks\.(\d+)\.upsamplers\.0\.conv\.(weight|bias)$/,
    to: (m, c) => {
      const i = n(m[1]);
      return `output_blocks.${i * (c.R + 1) + c.R}.${c.upWithAttention.has(i) ? 2 : 1}.conv.${m[2]}`;
    },
  },
  { from: /^conv_norm_out\.(weight|bias)$/, to: 'out.0.$1' },
  { from: /^conv_out\.(weight|bias)$/, to: 'out.2.$1' },
];
