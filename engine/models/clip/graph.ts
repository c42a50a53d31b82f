import { StudioError } from '../../api/errors.ts';
import { GraphBuilder, MS_DOMAIN, type Value, float } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { layerNorm, linear, type WeightScope } from '../../nn/index.ts';
import type { TextEncoderConfig } from '../spec.ts';

/**
 * The CLIP text transformer of SD 1.x (OpenAI CLIP ViT-L/14, transformers' CLIPTextModel)
 * and SD 2.x (OpenCLIP ViT-H/14 text tower) as one graph builder.
 *
 * Both are the same network: token + learned position embeddings, pre-LN encoder layers with
 * causal self-attention and a two-layer MLP, then a final LayerNorm. They differ only in the
 * MLP activation (quick_gelu vs exact GELU) and in which layer conditions the UNet. Detection
 * renames the OpenCLIP keys (`cond_stage_model.model.transformer.resblocks.N.*`, fused
 * `attn.in_proj_*` split into q/k/v row blocks) into transformers' names, so this builder
 * walks one key tree: `embeddings.*`, `encoder.layers.N.*`, `final_layer_norm.*`.
 */

/**
 * - `fused`: com.microsoft MultiHeadAttention with `unidirectional=1` — onnxruntime's own
 *   causal mask, no [S, S] map in the graph (parity with an explicit softmax: 2.4e-7).
 * - `explicit`: MatMul → Add(causal mask) → Softmax → MatMul, for providers without the
 *   contrib op and as the parity reference.
 */
export type TextAttentionKernel = 'fused' | 'explicit';

export interface TextEncoderGraphOptions {
  /** Clip skip as the UIs count it (1 = last layer); default `config.skipLastLayers + 1`. See `resolveClipSkip`. */
  clipSkip?: number;
  kernel?: TextAttentionKernel;
  computeType?: 'float32' | 'float16';
  /**
   * Textual inversion: a `ti/vectors` input [extra, hidden] appended to the token table, so
   * ids from vocabSize on pick those vectors (a separate graph: the plain one stays as it is).
   */
  extraTokens?: boolean;
}

/** The textual-inversion vectors input of a graph built with `extraTokens`. */
export const EXTRA_TOKENS_INPUT = 'ti/vectors';

/** transformers' CLIPTextConfig.layer_norm_eps and torch's nn.LayerNorm default alike. */
export const LAYER_NORM_EPS = 1e-5;

/**
 * Clip skip N, as AUTOMATIC1111 ("CLIP_stop_at_last_layers") and ComfyUI
 * (CLIPSetLastLayer −N) define it: the hidden state after the N-th layer counted from the
 * end — 1 = the last layer, 2 = the penultimate — with the final LayerNorm applied afterwards
 * in every case. So N runs the first `numLayers − (N − 1)` layers, then `final_layer_norm`
 * (`ln_final`). This is exactly ldm's FrozenOpenCLIPEmbedder(layer="penultimate") for N = 2,
 * which SD 2.x was trained on, and transformers' `last_hidden_state` for N = 1.
 *
 * Layers are counted in the tower as stored: single-file SD 2.x holds all 24 layers
 * (default N = 2), while diffusers' SD 2.x `text_encoder/` was saved with the last layer
 * already removed (23 layers, default N = 1 — the same output).
 */
export function resolveClipSkip(config: TextEncoderConfig, clipSkip?: number): number {
  const n = clipSkip ?? config.skipLastLayers + 1;
  if (!Number.isInteger(n) || n < 1 || n > config.numLayers) {
    throw new StudioError('INVALID_REQUEST', `clip skip must be an integer from 1 (last layer) to ${config.numLayers}, got ${clipSkip}`, {
      clipSkip, numLayers: config.numLayers,
    });
  }
  return n;
}

/** Everything that changes the graph, for the session cache. */
export function textEncoderSignature(config: TextEncoderConfig, opts: TextEncoderGraphOptions = {}): string {
  const layers = config.numLayers - resolveClipSkip(config, opts.clipSkip) + 1;
  return `layers=${layers}/${config.numLayers};heads=${config.numHeads};act=${config.hiddenAct};kernel=${opts.kernel ?? 'fused'}${opts.extraTokens ? ';ti' : ''}`;
}

/**
 * `w` is the text tower's scope (`cond_stage_model.transformer.text_model`).
 * Graph: `ids` int64 [batch, P] → `last_hidden_state` float32 [batch, P, hidden], P = maxPositions (77).
 * No attention mask besides the causal one: SD encodes the padding positions like any token
 * and the UNet attends to all of them.
 */
export function buildTextEncoderGraph(w: WeightScope, config: TextEncoderConfig, opts: TextEncoderGraphOptions = {}): GraphBuilder {
  const layers = config.numLayers - resolveClipSkip(config, opts.clipSkip) + 1;
  const { hiddenSize: H, maxPositions: P, numHeads } = config;
  if (H % numHeads !== 0) throw new StudioError('SHAPE_MISMATCH', `text encoder width ${H} does not split into ${numHeads} heads`);
  const g = new GraphBuilder({ name: 'text-encoder', computeType: opts.computeType ?? 'float32' });
  const ids = g.input('ids', 'int64', ['batch', P]);
  let x = textEmbeddings(g, w, ids, opts.extraTokens ? g.input(EXTRA_TOKENS_INPUT, 'float32', ['extra', H]) : undefined);
  for (let i = 0; i < layers; i++) x = encoderLayer(g, w.scope(`encoder.layers.${i}`), x, config, opts.kernel ?? 'fused');
  x = layerNorm(g, w.scope('final_layer_norm'), x, { eps: LAYER_NORM_EPS }); // [B, P, H]
  g.output(op.cast(g, x, 'float32'), 'last_hidden_state', ['batch', P, H]);
  return g;
}

/**
 * Token + position embeddings: ids int64 [B, P] → [B, P, H]. Position ids are always 0..P-1:
 * the stored `embeddings.position_ids` buffer is ignored, as current transformers does (some
 * merged files carry it damaged, e.g. as floats).
 */
export function textEmbeddings(g: GraphBuilder, w: WeightScope, ids: Value, extraTokens?: Value): Value {
  // Position ids are always 0..P-1: the stored `embeddings.position_ids` buffer is ignored,
  // as current transformers does (some merged files carry it damaged, e.g. as floats).
  const emb = w.scope('embeddings');
  const table = g.weight(emb.get('token_embedding.weight'));
  // Textual-inversion vectors are appended to the table, so their ids follow the vocabulary.
  const withExtra = extraTokens ? op.concat(g, [table, op.cast(g, extraTokens, table.dtype)], 0) : table;
  const tokens = g.within('embeddings', () => op.gather(g, withExtra, ids)); // [B, P, H]
  return op.add(g, tokens, g.weight(emb.get('position_embedding.weight')), 'embeddings/add_positions'); // + [P, H]
}

/** transformers' CLIPEncoderLayer / OpenCLIP's ResidualAttentionBlock: x [B, P, H] → [B, P, H]. */
export function encoderLayer(g: GraphBuilder, w: WeightScope, x: Value, c: TextEncoderConfig, kernel: TextAttentionKernel): Value {
  return g.within(w.prefix, () => {
    const a = w.scope('self_attn');
    const h = layerNorm(g, w.scope('layer_norm1'), x, { eps: LAYER_NORM_EPS });
    const q = linear(g, a.scope('q_proj'), h);
    const k = linear(g, a.scope('k_proj'), h);
    const v = linear(g, a.scope('v_proj'), h);
    const o = causalSelfAttention(g, q, k, v, {
      heads: c.numHeads, dimHead: c.hiddenSize / c.numHeads, length: c.maxPositions, kernel, name: `${a.prefix}/attention`,
    });
    const y = op.add(g, x, linear(g, a.scope('out_proj'), o));

    const m = w.scope('mlp');
    const f = linear(g, m.scope('fc1'), layerNorm(g, w.scope('layer_norm2'), y, { eps: LAYER_NORM_EPS })); // [B, P, I]
    const act = c.hiddenAct === 'gelu' ? op.gelu(g, f) : op.quickGelu(g, f);
    return op.add(g, y, linear(g, m.scope('fc2'), act));
  });
}

/**
 * softmax(Q·Kᵀ/√d + causal)·V on packed heads: q, k, v [B, P, heads·d] → [B, P, heads·d].
 * Local because `op.attention` has no causal option yet.
 */
export function causalSelfAttention(
  g: GraphBuilder, q: Value, k: Value, v: Value,
  opts: { heads: number; dimHead: number; length: number; kernel: TextAttentionKernel; name?: string },
): Value {
  const scale = 1 / Math.sqrt(opts.dimHead);
  if (opts.kernel === 'fused') {
    return g.op('MultiHeadAttention', [q, k, v], { num_heads: opts.heads, scale: float(scale), unidirectional: 1 }, { domain: MS_DOMAIN, name: opts.name });
  }
  const P = opts.length;
  const mask = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) mask[i * P + j] = -Infinity;
  const qh = op.transpose(g, op.reshape(g, q, [0, 0, opts.heads, -1]), [0, 2, 1, 3]); // [B, heads, P, d]
  const kt = op.transpose(g, op.reshape(g, k, [0, 0, opts.heads, -1]), [0, 2, 3, 1]); // [B, heads, d, P]
  const logits = op.matmul(g, op.mul(g, qh, scale), kt); // [B, heads, P, P]
  const probs = op.softmax(g, op.add(g, logits, g.floatTensor(mask, [P, P], 'causal_mask')), -1);
  return op.applyAttentionProbs(g, probs, v, opts.heads);
}
