import { StudioError } from '../../api/errors.ts';
import { type AttentionSite, type BlockSite, type IndexedSites, type SiteTags, type TokenCount, indexSites } from '../../controllers/site.ts';
import type { UNetConfig } from '../spec.ts';

/** The LDM UNet's stages; a fact of this family, carried in its sites' tags. */
export type UNetStage = 'down' | 'mid' | 'up';

/** Where LDM's UNetModel puts a SpatialTransformer, relative to `model.diffusion_model`. */
export interface TransformerPlacement {
  /** e.g. `input_blocks.1.1`, `middle_block.1`, `output_blocks.5.1`. */
  readonly path: string;
  readonly stage: UNetStage;
  readonly level: number;
  readonly blockIndex: number;
  readonly channels: number;
  /** Transformer blocks inside it (SDXL: 2 at level 1, 10 at level 2 and in the middle). */
  readonly depth: number;
}

/** Fixed sizes, when the graph is built for them; otherwise token counts stay symbolic. */
export interface LatentExtent {
  height?: number;
  width?: number;
  /** Context length (77 · prompt chunks). */
  tokens?: number;
}

/**
 * Walks the block layout exactly as LDM numbers its Sequentials: input block 0 is conv_in,
 * then per level `numResBlocks` ResBlocks (a transformer at sub-index 1 on attention
 * levels) and a downsampler except after the last level; the output path mirrors it with
 * one extra ResBlock per level.
 */
export function transformerPlacements(c: UNetConfig): TransformerPlacement[] {
  const levels = c.channelMult.length;
  const attn = (l: number) => c.attentionLevels.includes(l) && c.transformerDepth[l] > 0;
  const out: TransformerPlacement[] = [];
  const counters = { down: 0, mid: 0, up: 0 };
  const add = (path: string, stage: UNetStage, level: number) =>
    out.push({
      path, stage, level, blockIndex: counters[stage]++, channels: c.channelMult[level] * c.modelChannels,
      depth: stage === 'mid' ? c.midTransformerDepth : c.transformerDepth[level],
    });
  let idx = 1;
  for (let l = 0; l < levels; l++) {
    for (let j = 0; j < c.numResBlocks; j++, idx++) if (attn(l)) add(`input_blocks.${idx}.1`, 'down', l);
    if (l < levels - 1) idx++;
  }
  if (c.midBlockAttention && c.midTransformerDepth > 0) add('middle_block.1', 'mid', levels - 1);
  idx = 0;
  for (let l = levels - 1; l >= 0; l--) {
    for (let j = 0; j <= c.numResBlocks; j++, idx++) if (attn(l)) add(`output_blocks.${idx}.1`, 'up', l);
  }
  return out;
}

/** Token count at a level: conv stride 2 with padding 1 gives ⌈n/2⌉ per downsampling. */
function tokensAt(level: number, e: LatentExtent): TokenCount {
  const f = 2 ** level;
  if (e.height !== undefined && e.width !== undefined) return Math.ceil(e.height / f) * Math.ceil(e.width / f);
  return level === 0 ? 'h·w' : `⌈h/${f}⌉·⌈w/${f}⌉`;
}

export type UNetSites = IndexedSites;

/** diffusers' stage order of `unet.attn_processors`: UNet2DConditionModel builds down, up, then mid. */
const PROCESSOR_STAGE_ORDER = { down: 0, up: 1, mid: 2 } as const;

/**
 * diffusers' module name of a transformer: down_blocks.{level}, up_blocks.{levels − 1 − level},
 * mid_block; attentions.{j} counts the transformers of that stage and level in forward order.
 */
function diffusersBlockName(p: TransformerPlacement, all: readonly TransformerPlacement[], levels: number): string {
  if (p.stage === 'mid') return 'mid_block.attentions.0';
  const j = all.filter((o) => o.stage === p.stage && o.level === p.level).indexOf(p);
  return `${p.stage}_blocks.${p.stage === 'down' ? p.level : levels - 1 - p.level}.attentions.${j}`;
}

/** The UNet's attention sites, derived from the config alone (no graph, no weights). */
export function unetSites(c: UNetConfig, extent: LatentExtent = {}, prefix = 'model.diffusion_model'): UNetSites {
  const placements = transformerPlacements(c);
  // attn1 and attn2 of every transformer block, in diffusers' processor order.
  const processorBase = new Map<TransformerPlacement, number>();
  let processors = 0;
  for (const p of [...placements].sort((a, b) => PROCESSOR_STAGE_ORDER[a.stage] - PROCESSOR_STAGE_ORDER[b.stage])) {
    processorBase.set(p, processors);
    processors += 2 * p.depth;
  }
  const attention: AttentionSite[] = [];
  const blocks: BlockSite[] = [];
  for (const p of placements) {
    const heads = c.headsPerLevel[p.level];
    if (!heads || p.channels % heads !== 0) {
      throw new StudioError('CHECKPOINT_UNSUPPORTED', `UNet level ${p.level}: ${p.channels} channels cannot split into ${heads} heads`);
    }
    const queryTokens = tokensAt(p.level, extent);
    const grid = { downsample: 2 ** p.level, tokens: queryTokens };
    const ldmBlock = p.path.replace(/\.1$/, '');
    const outputBlock = p.stage === 'up' ? Number(ldmBlock.split('.')[1]) : undefined;
    for (let depth = 0; depth < p.depth; depth++) {
      const path = `${prefix}.${p.path}.transformer_blocks.${depth}`;
      const blockTags: SiteTags = {
        diffusersBlock: diffusersBlockName(p, placements, c.channelMult.length),
        ...(outputBlock !== undefined ? { decoderBlock: outputBlock } : {}),
        family: { stage: p.stage, level: p.level, ldmBlock, blockIndex: p.blockIndex, depth },
      };
      // attn1 and attn2 are consecutive processors in diffusers' order.
      const tagsFor = (sub: number): SiteTags => ({ ...blockTags, processorOrder: processorBase.get(p)! + 2 * depth + sub });
      const common = { block: path, heads, dimHead: p.channels / heads, channels: p.channels, grid, queryTokens };
      const self: AttentionSite = { ...common, path: `${path}.attn1`, ordinal: attention.length, kind: 'self', keyTokens: queryTokens, tags: tagsFor(0) };
      attention.push(self);
      const cross: AttentionSite = { ...common, path: `${path}.attn2`, ordinal: attention.length, kind: 'cross', keyTokens: extent.tokens ?? 'tokens', tags: tagsFor(1) };
      attention.push(cross);
      blocks.push({ path, ordinal: blocks.length, channels: p.channels, grid, queryTokens, self, cross, tags: blockTags });
    }
  }
  return indexSites('UNet', attention, blocks);
}
