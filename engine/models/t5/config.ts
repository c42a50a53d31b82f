import { StudioError } from '../../api/errors.ts';
import type { SafetensorsDType } from '../../safetensors/types.ts';
import type { WeightStore } from '../weightStore.ts';

/** The feed-forward of a T5 block: v1.1's gated GELU (tanh form), or v1.0's plain ReLU. */
export type T5FeedForward = 'gated-gelu' | 'gated-gelu-exact' | 'relu';

/**
 * Every dimension of a T5 encoder, read from tensor shapes; only the relative-position
 * distance and the norm epsilon are not in the shapes (config.json, else the T5 v1.1 values).
 */
export interface T5Config {
  vocabSize: number;
  dModel: number;
  /** Width of one head; heads × dKv is the attention's inner width (4096 in XXL). */
  dKv: number;
  /** From block 0's `relative_attention_bias` [buckets, heads]. */
  numHeads: number;
  dFf: number;
  numLayers: number;
  numBuckets: number;
  maxDistance: number;
  layerNormEps: number;
  feedForward: T5FeedForward;
  /** Where maxDistance / eps came from. */
  source: 'config' | 't5-v1.1-default';
}

/** Where the encoder weights came from and what detection found, for the runner and for the lead's model list. */
export interface T5Spec {
  kind: 't5-encoder';
  /** `transformers-folder`: text_encoder/ with config.json (maybe sharded); `single-file`: e.g. t5xxl_fp16.safetensors. */
  layout: 'transformers-folder' | 'single-file';
  /** What the user pointed at (file or folder). */
  path: string;
  files: string[];
  configFile?: string;
  /** Canonical `T5EncoderModel` names: `shared.weight`, `encoder.block.N.…`, `encoder.final_layer_norm.weight`. */
  weights: WeightStore;
  /** Storage dtype of the floating-point weights (fp16 / bf16 ones are computed in fp32), or 'mixed'. */
  weightDType: SafetensorsDType | 'mixed';
  config: T5Config;
  /** spiece.model shipped with the model (the pipeline's tokenizer/ or beside the file); else the bundled one. */
  tokenizerFile?: string;
  unexpectedKeys: string[];
  warnings: string[];
}

/** The parts of transformers' T5Config detection reads. */
export interface HfT5Config {
  num_heads?: number;
  num_layers?: number;
  d_model?: number;
  d_kv?: number;
  d_ff?: number;
  relative_attention_num_buckets?: number;
  relative_attention_max_distance?: number;
  layer_norm_epsilon?: number;
  feed_forward_proj?: string;
  dense_act_fn?: string;
  is_gated_act?: boolean;
}

/** T5 v1.1 (and every T5) uses 128; only config.json can say otherwise. */
const DEFAULT_MAX_DISTANCE = 128;
const DEFAULT_EPS = 1e-6;

const Q = (i: number) => `encoder.block.${i}.layer.0.SelfAttention.q.weight`;
export const RELATIVE_BIAS = 'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight';

function feedForwardOf(w: WeightStore, hf: HfT5Config, label: string): T5FeedForward {
  const gated = w.has('encoder.block.0.layer.1.DenseReluDense.wi_0.weight');
  const act = hf.dense_act_fn ?? (hf.feed_forward_proj?.replace(/^gated-/, '') || (gated ? 'gelu_new' : 'relu'));
  if (!gated) {
    if (act !== 'relu') throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: T5 feed-forward activation "${act}" without gating is not supported`, { file: label });
    return 'relu';
  }
  if (act === 'gelu_new' || act === 'gelu_pytorch_tanh' || act === 'gelu_fast') return 'gated-gelu';
  if (act === 'gelu') return 'gated-gelu-exact';
  throw new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: T5 feed-forward activation "${act}" is not supported (gated-gelu, gelu_new or relu)`, { file: label });
}

/**
 * Dimensions from the shapes; the config only adds what shapes cannot tell and is
 * cross-checked where it can be (a disagreement is a warning: the shapes are what runs).
 */
export function t5ConfigFromShapes(w: WeightStore, hf: HfT5Config, label: string, warnings: string[]): T5Config {
  // The tensors that size the network, all named at once when absent.
  const ff = w.has('encoder.block.0.layer.1.DenseReluDense.wi.weight') ? 'wi' : 'wi_0';
  const sizing = ['shared.weight', RELATIVE_BIAS, Q(0), `encoder.block.0.layer.1.DenseReluDense.${ff}.weight`];
  const missing = sizing.filter((k) => !w.has(k));
  if (missing.length) {
    throw new StudioError('CHECKPOINT_INCOMPLETE', `${label}: not a complete T5 encoder, missing ${missing.join(', ')}`, { file: label, missing });
  }
  const shared = w.get('shared.weight');
  const bias = w.get(RELATIVE_BIAS);
  const q = w.get(Q(0));
  const bad = (what: string) => new StudioError('SHAPE_MISMATCH', `${label}: ${what}`, { file: label });
  if (shared.shape.length !== 2) throw bad(`shared.weight is [${shared.shape.join(', ')}], expected [vocab, d_model]`);
  if (bias.shape.length !== 2) throw bad(`${RELATIVE_BIAS} is [${bias.shape.join(', ')}], expected [buckets, heads]`);
  if (q.shape.length !== 2) throw bad(`${Q(0)} is [${q.shape.join(', ')}], expected [heads·d_kv, d_model]`);
  const [vocabSize, dModel] = shared.shape;
  const [numBuckets, numHeads] = bias.shape;
  if (numHeads < 1 || numBuckets < 2 || numBuckets % 2 !== 0) throw bad(`${RELATIVE_BIAS} [${bias.shape.join(', ')}] is not [an even number of buckets, heads]`);
  if (q.shape[0] % numHeads !== 0) throw bad(`attention width ${q.shape[0]} does not split into ${numHeads} heads`);
  const dKv = q.shape[0] / numHeads;
  const feedForward = feedForwardOf(w, hf, label);
  const wi = w.get(`encoder.block.0.layer.1.DenseReluDense.${feedForward === 'relu' ? 'wi' : 'wi_0'}.weight`);
  let numLayers = 0;
  for (const k of w.keys()) {
    const m = /^encoder\.block\.(\d+)\./.exec(k);
    if (m) numLayers = Math.max(numLayers, Number(m[1]) + 1);
  }
  const check = (name: keyof HfT5Config, got: number) => {
    const v = hf[name];
    if (typeof v === 'number' && v !== got) warnings.push(`${label}: config says ${name} ${v}, the weights have ${got}; using ${got}`);
  };
  check('num_heads', numHeads);
  check('d_model', dModel);
  check('d_kv', dKv);
  check('d_ff', wi.shape[0]);
  check('num_layers', numLayers);
  check('relative_attention_num_buckets', numBuckets);
  const maxDistance = positive(hf.relative_attention_max_distance) ?? DEFAULT_MAX_DISTANCE;
  const layerNormEps = positive(hf.layer_norm_epsilon) ?? DEFAULT_EPS;
  return {
    vocabSize, dModel, dKv, numHeads, dFf: wi.shape[0], numLayers, numBuckets, maxDistance, layerNormEps, feedForward,
    source: hf.relative_attention_max_distance !== undefined || hf.layer_norm_epsilon !== undefined ? 'config' : 't5-v1.1-default',
  };
}

const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);

/** Every weight the encoder reads, with its shape: what completeness checks against. */
export function expectedT5Weights(c: T5Config): Map<string, number[]> {
  const inner = c.numHeads * c.dKv;
  const e = new Map<string, number[]>([['shared.weight', [c.vocabSize, c.dModel]], [RELATIVE_BIAS, [c.numBuckets, c.numHeads]]]);
  for (let i = 0; i < c.numLayers; i++) {
    const b = `encoder.block.${i}`;
    for (const p of ['q', 'k', 'v']) e.set(`${b}.layer.0.SelfAttention.${p}.weight`, [inner, c.dModel]);
    e.set(`${b}.layer.0.SelfAttention.o.weight`, [c.dModel, inner]);
    e.set(`${b}.layer.0.layer_norm.weight`, [c.dModel]);
    const ff = `${b}.layer.1.DenseReluDense`;
    if (c.feedForward === 'relu') e.set(`${ff}.wi.weight`, [c.dFf, c.dModel]);
    else for (const p of ['wi_0', 'wi_1']) e.set(`${ff}.${p}.weight`, [c.dFf, c.dModel]);
    e.set(`${ff}.wo.weight`, [c.dModel, c.dFf]);
    e.set(`${b}.layer.1.layer_norm.weight`, [c.dModel]);
  }
  e.set('encoder.final_layer_norm.weight', [c.dModel]);
  return e;
}
