import { GraphBuilder, type Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { layerNorm, linear, type WeightScope } from '../../nn/index.ts';
import type { VisionConfig } from './config.ts';

/**
 * Which output the graph computes:
 * - `embeds`: `image_embeds` = visual_projection(post_layernorm(CLS)), [B, projectionDim]
 *   (the base IP-Adapter's input);
 * - `penultimate`: `hidden_states[-2]`, the output of the second-to-last encoder layer
 *   before any LayerNorm, [B, 1 + grid², hidden] (the plus adapter's input). The last layer
 *   is then never run.
 */
export type VisionOutput = 'embeds' | 'penultimate';

/**
 * transformers' CLIPVisionTransformer over the root scope of the file (`vision_model.*`,
 * `visual_projection.*`): patch conv (no bias), CLS token, learned positions, `pre_layrnorm`
 * (sic — transformers' spelling), pre-LN encoder layers with full (non-causal) attention.
 * `pixel_values` float32 [B, 3, S, S] → `image_embeds` or `penultimate`.
 */
export function buildVisionEncoderGraph(w: WeightScope, c: VisionConfig, output: VisionOutput, computeType: 'float32' | 'float16' = 'float32'): GraphBuilder {
  const g = new GraphBuilder({ name: `clip-vision-${output}`, computeType });
  const S = c.imageSize;
  const grid = S / c.patchSize;
  const pixels = g.input('pixel_values', 'float32', ['batch', 3, S, S]);
  const v = w.scope('vision_model');
  const e = v.scope('embeddings');
  let x = g.within('embeddings', () => {
    const patches = op.conv(g, op.cast(g, pixels, g.computeType), g.weight(e.get('patch_embedding.weight')), null, {
      strides: [c.patchSize, c.patchSize], pads: [0, 0, 0, 0], name: `${e.prefix}.patch_embedding`,
    }); // [B, H, grid, grid]
    const tokens = op.transpose(g, op.reshape(g, patches, [0, 0, -1]), [0, 2, 1]); // [B, grid², H]
    const cls = op.reshape(g, g.weight(e.get('class_embedding')), [1, 1, c.hiddenSize]);
    const clsRows = op.expand(g, cls, op.concat(g, [op.shapeOf(g, pixels, 0, 1), g.ints([1, c.hiddenSize])], 0)); // [B, 1, H]
    return op.add(g, op.concat(g, [clsRows, tokens], 1), g.weight(e.get('position_embedding.weight'))); // [B, 1+grid², H]
  });
  x = layerNorm(g, v.scope('pre_layrnorm'), x, { eps: c.layerNormEps });
  const layers = output === 'penultimate' ? c.numLayers - 1 : c.numLayers;
  for (let i = 0; i < layers; i++) x = encoderLayer(g, v.scope(`encoder.layers.${i}`), x, c);
  if (output === 'penultimate') {
    g.output(op.cast(g, x, 'float32'), 'penultimate', ['batch', 1 + grid * grid, c.hiddenSize]);
    return g;
  }
  const pooled = layerNorm(g, v.scope('post_layernorm'), op.squeeze(g, op.slice(g, x, [0], [1], [1]), [1])); // [B, H]
  g.output(op.cast(g, linear(g, w.scope('visual_projection'), pooled), 'float32'), 'image_embeds', ['batch', c.projectionDim]);
  return g;
}

/** CLIPEncoderLayer: x + attn(LN1(x)), then + MLP(LN2(·)); bidirectional attention. */
function encoderLayer(g: GraphBuilder, w: WeightScope, x: Value, c: VisionConfig): Value {
  return g.within(w.prefix, () => {
    const a = w.scope('self_attn');
    const h = layerNorm(g, w.scope('layer_norm1'), x, { eps: c.layerNormEps });
    const q = linear(g, a.scope('q_proj'), h);
    const k = linear(g, a.scope('k_proj'), h);
    const v = linear(g, a.scope('v_proj'), h);
    const o = op.attention(g, q, k, v, c.hiddenSize / c.numHeads, { heads: c.numHeads, name: `${a.prefix}/attention` });
    const y = op.add(g, x, linear(g, a.scope('out_proj'), o));
    const m = w.scope('mlp');
    const f = linear(g, m.scope('fc1'), layerNorm(g, w.scope('layer_norm2'), y, { eps: c.layerNormEps }));
    const act = c.hiddenAct === 'gelu' ? op.gelu(g, f) : op.quickGelu(g, f);
    return op.add(g, y, linear(g, m.scope('fc2'), act));
  });
}
