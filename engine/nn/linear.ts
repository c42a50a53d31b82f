import type { GraphBuilder, Value } from '../graph/builder.ts';
import * as op from '../graph/ops/index.ts';
import { type WeightScope, modulePath } from './types.ts';

/**
 * torch.nn.Linear: x [..., in] → [..., out] with `weight` [out, in] and optional `bias`.
 * A 1x1-conv weight [out, in, 1, 1] is accepted too (LDM's 1x1-conv projections applied to
 * token sequences). The transpose (and reshape) of the initializer folds away at load.
 */
export function linear(g: GraphBuilder, w: WeightScope, x: Value): Value {
  const info = w.get('weight');
  const name = modulePath(w, 'linear');
  let weight = g.weight(info);
  if (w.adapters) weight = w.adapters.weight(g, w.prefix, weight, info);
  if (info.shape.length !== 2) weight = op.reshape(g, weight, [info.shape[0], info.shape[1]]);
  const y = op.matmul(g, x, op.transpose(g, weight, [1, 0]), name);
  const out = w.has('bias') ? g.op('Add', [y, g.weight(w.get('bias'))], {}, { name: `${name}/bias` }) : y;
  return w.adapters ? w.adapters.output(g, w.prefix, x, out, null) : out;
}
