import type { BoundChain, ControllerChain } from '../../controllers/chain.ts';
import { GraphBuilder, type Value } from '../../graph/builder.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import * as op from '../../graph/ops/index.ts';
import { conv2d } from '../../nn/conv.ts';
import { groupNorm } from '../../nn/norm.ts';
import type { WeightScope } from '../../nn/types.ts';
import type { UNetConfig } from '../spec.ts';
import { downsample, resBlock, upsample } from './resBlock.ts';
import { type LatentExtent, type UNetSites, unetSites } from './sites.ts';
import { labelEmbedding, timeEmbedding } from './timeEmbedding.ts';
import { spatialTransformer } from './transformer.ts';

/** Names of the graph's symbolic dimensions; controller inputs may use them too. */
export const UNET_DIMS = { batch: 'batch', height: 'h', width: 'w', tokens: 'tokens' } as const;

export interface UNetInputs {
  /** [B, inChannels, h, w] */
  x: Value;
  /** [B] timesteps (float32 or int64) */
  t: Value;
  /** [B, tokens, contextDim] */
  context: Value;
  /** [B, admInChannels] vector conditioning (SDXL), present exactly when the UNet has `label_emb`. */
  y?: Value;
}

/**
 * LDM UNetModel (SD 1.x / 2.x / XL) over the weight scope `model.diffusion_model`.
 * Returns the raw model output [B, outChannels, h, w] in the compute type; eps or v is the
 * pipeline's reading of it.
 */
export function unetForward(g: GraphBuilder, w: WeightScope, c: UNetConfig, inputs: UNetInputs, sites: UNetSites, chain: BoundChain): Value {
  const levels = c.channelMult.length;
  const hasAttn = (l: number) => c.attentionLevels.includes(l) && c.transformerDepth[l] > 0;
  const x = op.cast(g, inputs.x, g.computeType);
  const context = op.cast(g, inputs.context, g.computeType);
  let emb = timeEmbedding(g, w, inputs.t); // [B, T]
  if (inputs.y) emb = op.add(g, emb, labelEmbedding(g, w, op.cast(g, inputs.y, g.computeType)));
  const embAct = op.silu(g, emb);
  const transformer = (path: string, h: Value, depth: number) => spatialTransformer(g, w.scope(path), h, context, depth, sites, chain);

  let h = conv2d(g, w.scope('input_blocks.0.0'), x);
  const skips: Value[] = [h];
  let idx = 1;
  for (let l = 0; l < levels; l++) {
    for (let j = 0; j < c.numResBlocks; j++, idx++) {
      h = resBlock(g, w.scope(`input_blocks.${idx}.0`), h, embAct);
      if (hasAttn(l)) h = transformer(`input_blocks.${idx}.1`, h, c.transformerDepth[l]);
      skips.push(h);
    }
    if (l < levels - 1) {
      h = downsample(g, w.scope(`input_blocks.${idx}.0`), h);
      skips.push(h);
      idx++;
    }
  }

  const midAttn = c.midBlockAttention && c.midTransformerDepth > 0;
  h = resBlock(g, w.scope('middle_block.0'), h, embAct);
  if (midAttn) h = transformer('middle_block.1', h, c.midTransformerDepth);
  h = resBlock(g, w.scope(`middle_block.${midAttn ? 2 : 1}`), h, embAct);

  idx = 0;
  for (let l = levels - 1; l >= 0; l--) {
    for (let j = 0; j <= c.numResBlocks; j++, idx++) {
      h = op.concat(g, [h, skips.pop()!], 1);
      h = resBlock(g, w.scope(`output_blocks.${idx}.0`), h, embAct);
      // The upsampler's sub-index is 2 after a transformer, 1 otherwise (Sequential position).
      let sub = 1;
      if (hasAttn(l)) h = transformer(`output_blocks.${idx}.${sub++}`, h, c.transformerDepth[l]);
      if (l > 0 && j === c.numResBlocks) h = upsample(g, w.scope(`output_blocks.${idx}.${sub}`), h, skips[skips.length - 1]);
    }
  }
  h = op.silu(g, groupNorm(g, w.scope('out.0'), h));
  return conv2d(g, w.scope('out.2'), h);
}

export interface UNetGraphOptions {
  kernel?: AttentionKernel;
  /** Element type of the `t` input; float32 by default (fractional timesteps of k-samplers). */
  timestepType?: 'float32' | 'int64';
  /** Fixed sizes baked into the graph; symbolic dimensions otherwise. */
  extent?: LatentExtent & { batch?: number };
}

/**
 * The whole UNet as one graph: inputs `x`, `t`, `context` (and `y` for a UNet with
 * `label_emb`; float32 at the boundary whatever the compute type), output `output` float32,
 * plus the controllers' inputs and outputs.
 */
export function buildUNetGraph(
  computeType: 'float32' | 'float16',
  w: WeightScope,
  c: UNetConfig,
  chain: ControllerChain,
  opts: UNetGraphOptions = {},
): GraphBuilder {
  const e = opts.extent ?? {};
  const B = e.batch ?? UNET_DIMS.batch;
  const H = e.height ?? UNET_DIMS.height;
  const W = e.width ?? UNET_DIMS.width;
  const g = new GraphBuilder({ name: 'unet', computeType });
  const x = g.input('x', 'float32', [B, c.inChannels, H, W]);
  const t = g.input('t', opts.timestepType ?? 'float32', [B]);
  const context = g.input('context', 'float32', [B, e.tokens ?? UNET_DIMS.tokens, c.contextDim]);
  const y = c.admInChannels > 0 ? g.input('y', 'float32', [B, c.admInChannels]) : undefined;
  const sites = unetSites(c, e, w.prefix);
  const bound = chain.bind(g, { kernel: opts.kernel });
  const out = unetForward(g, w, c, { x, t, context, ...(y ? { y } : {}) }, sites, bound);
  bound.finish();
  g.output(op.cast(g, out, 'float32'), 'output', [B, c.outChannels, H, W]);
  return g;
}
