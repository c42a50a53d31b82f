import { StudioError } from '../../api/errors.ts';
import { GraphBuilder, type Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { layerNorm, linear, type WeightScope } from '../../nn/index.ts';
import type { TextEncoderConfig } from '../spec.ts';
import { LAYER_NORM_EPS, type TextAttentionKernel, encoderLayer, textEmbeddings } from './graph.ts';

/**
 * One SDXL text tower as sgm runs it. `hidden` is the input of the last layer — ComfyUI's and
 * diffusers' `hidden_states[-2]`, sgm's layer "hidden"/"penultimate" — with **no** final
 * LayerNorm (unlike SD 2.x, which normalises its penultimate layer). With `pooled`, the last
 * layer runs too and the EOS token of ln_final(last) — the first occurrence of the largest id,
 * as open_clip's `argmax` picks it — is projected.
 */
export interface SDXLTextGraphOptions {
  /** Layers run for `hidden` (default numLayers − 1, the penultimate); diffusers' clip_skip k runs numLayers − 1 − k. */
  hiddenLayers?: number;
  /** The projection for the pooled output: a [width, proj] matrix (x·P) or a bias-free Linear scope. */
  pooled?: { matrix: WeightScope } | { linear: WeightScope };
  kernel?: TextAttentionKernel;
  computeType?: 'float32' | 'float16';
}

/** Everything that changes the graph, for the session cache. */
export function sdxlTextSignature(config: TextEncoderConfig, opts: SDXLTextGraphOptions = {}): string {
  const pooled = opts.pooled ? ('matrix' in opts.pooled ? 'matrix' : 'linear') : 'none';
  return `sdxl;hidden=${opts.hiddenLayers ?? config.numLayers - 1}/${config.numLayers};heads=${config.numHeads};act=${config.hiddenAct};pooled=${pooled};kernel=${opts.kernel ?? 'fused'}`;
}

/**
 * `w` is the tower's scope (`….text_model`). Graph: `ids` int64 [batch, P] → `hidden` float32
 * [batch, P, width], and with `pooled` also `pooled` float32 [batch, proj].
 */
export function buildSDXLTextGraph(w: WeightScope, config: TextEncoderConfig, opts: SDXLTextGraphOptions = {}): GraphBuilder {
  const { hiddenSize: H, maxPositions: P, numLayers } = config;
  const hiddenLayers = opts.hiddenLayers ?? numLayers - 1;
  if (!Number.isInteger(hiddenLayers) || hiddenLayers < 1 || hiddenLayers > numLayers) {
    throw new StudioError('INVALID_REQUEST', `the text tower has ${numLayers} layers; cannot take the hidden state after ${hiddenLayers}`);
  }
  const kernel = opts.kernel ?? 'fused';
  const g = new GraphBuilder({ name: 'sdxl-text-encoder', computeType: opts.computeType ?? 'float32' });
  const ids = g.input('ids', 'int64', ['batch', P]);
  let x = textEmbeddings(g, w, ids);
  let hidden: Value | undefined;
  const run = opts.pooled ? numLayers : hiddenLayers;
  for (let i = 0; i < run; i++) {
    x = encoderLayer(g, w.scope(`encoder.layers.${i}`), x, config, kernel);
    if (i === hiddenLayers - 1) hidden = x;
  }
  g.output(op.cast(g, hidden!, 'float32'), 'hidden', ['batch', P, H]);
  if (opts.pooled) {
    const last = layerNorm(g, w.scope('final_layer_norm'), x, { eps: LAYER_NORM_EPS }); // [B, P, H]
    const pooled = projectEos(g, last, ids, H, opts.pooled);
    g.output(op.cast(g, pooled, 'float32'), 'pooled', ['batch', 'projection']);
  }
  return g;
}

/** states [B, P, H] at the first position of each row's largest id, then the projection → [B, proj]. */
function projectEos(g: GraphBuilder, states: Value, ids: Value, H: number, projection: NonNullable<SDXLTextGraphOptions['pooled']>): Value {
  return g.within('pooled', () => {
    // ArgMax keeps the first maximum; ids fit int32 (vocabularies are < 2³¹), where ArgMax is implemented.
    const eos = g.op('ArgMax', [op.cast(g, ids, 'int32')], { axis: 1, keepdims: 1 }, { dtype: 'int64' }); // [B, 1]
    const index = op.expand(g, op.unsqueeze(g, eos, [2]), g.ints([1, 1, H], 'pooled_index_shape')); // [B, 1, H]
    const token = op.squeeze(g, g.op('GatherElements', [states, index], { axis: 1 }), [1]); // [B, H]
    if ('linear' in projection) return linear(g, projection.linear, token);
    return op.matmul(g, token, g.weight(projection.matrix.get('')));
  });
}
