import type { GraphBuilder, Value } from '../graph/builder.ts';
import * as op from '../graph/ops/index.ts';
import { type WeightScope, modulePath } from './types.ts';

export interface GroupNormOptions {
  /** Default 32, as every SD network uses. */
  groups?: number;
  /** torch's default is 1e-5 (UNet); the LDM VAE uses 1e-6. */
  eps?: number;
  /** Axes after the channel axis (2 for NCHW). */
  spatialRank?: number;
}

/** torch.nn.GroupNorm with affine `weight`/`bias` [C] over x [B, C, ...]. */
export function groupNorm(g: GraphBuilder, w: WeightScope, x: Value, opts: GroupNormOptions = {}): Value {
  const gamma = w.has('weight') ? g.weight(w.get('weight')) : null;
  const beta = w.has('bias') ? g.weight(w.get('bias')) : null;
  return op.groupNorm(g, x, gamma, beta, {
    groups: opts.groups ?? 32, epsilon: opts.eps ?? 1e-5, spatialRank: opts.spatialRank, name: modulePath(w, 'group_norm'),
  });
}

/** torch.nn.LayerNorm over the last axis with `weight`/`bias`. */
export function layerNorm(g: GraphBuilder, w: WeightScope, x: Value, opts: { eps?: number } = {}): Value {
  const bias = w.has('bias') ? g.weight(w.get('bias')) : null;
  return op.layerNormalization(g, x, g.weight(w.get('weight')), bias, { epsilon: opts.eps ?? 1e-5, name: modulePath(w, 'layer_norm') });
}
