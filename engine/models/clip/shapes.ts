import type { TextEncoderConfig } from '../spec.ts';
import type { WeightStore } from '../weightStore.ts';
import { ShapeTable, countIndexed, dimOf, unsupported } from '../shapeTools.ts';

export type TextEncoderShapes = Pick<
  TextEncoderConfig,
  'vocabSize' | 'hiddenSize' | 'numLayers' | 'intermediateSize' | 'maxPositions' | 'hasPositionIds'
>;

/**
 * Reads a CLIP text tower in transformers' `CLIPTextModel` naming, the canonical text
 * layout (under `cond_stage_model.transformer.text_model`). OpenCLIP towers are mapped
 * into it first.
 */
export function detectTextEncoderShapes(w: WeightStore): TextEncoderShapes {
  const [vocabSize, hiddenSize] = w.get('embeddings.token_embedding.weight').shape;
  const [maxPositions] = w.get('embeddings.position_embedding.weight').shape;
  const numLayers = countIndexed(w.keys(), /^encoder\.layers\.(\d+)\./);
  if (numLayers === 0) throw unsupported(w.label, 'text encoder has no transformer layers');
  const intermediateSize = dimOf(w, [
    ['encoder.layers.0.mlp.fc1.weight', 0],
    ['encoder.layers.0.mlp.fc1.bias', 0],
    ['encoder.layers.0.mlp.fc2.weight', 1],
  ]);
  return {
    vocabSize,
    hiddenSize,
    numLayers,
    intermediateSize,
    maxPositions,
    hasPositionIds: w.has('embeddings.position_ids'),
  };
}

/**
 * Tensors of the text tower relative to `cond_stage_model.transformer.text_model`.
 * `embeddings.position_ids` is left out on purpose: files saved with transformers < 4.31
 * carry it, newer ones do not, and its values are always 0..P-1.
 */
export function expectedTextEncoderTensors(c: TextEncoderShapes): Map<string, number[]> {
  const t = new ShapeTable();
  const H = c.hiddenSize;
  t.add('embeddings.token_embedding.weight', [c.vocabSize, H]);
  t.add('embeddings.position_embedding.weight', [c.maxPositions, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) t.linear(`${p}.self_attn.${n}`, H, H);
    t.norm(`${p}.layer_norm1`, H);
    t.norm(`${p}.layer_norm2`, H);
    t.linear(`${p}.mlp.fc1`, c.intermediateSize, H);
    t.linear(`${p}.mlp.fc2`, H, c.intermediateSize);
  }
  t.norm('final_layer_norm', H);
  return t.shapes;
}
