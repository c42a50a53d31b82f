import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { linear } from '../../nn/linear.ts';
import type { WeightScope } from '../../nn/types.ts';

const f = Math.fround;

/**
 * LDM's `timestep_embedding` inside the graph, so the network takes `t` itself:
 * freqs_i = exp(−ln(10000)·i/half) (computed in float32 like the reference), args = t·freqs,
 * result [cos(args), sin(args)] (cos first). Always float32: arguments reach ~1000 rad,
 * where fp16 would lose the phase. t [B] (float32 or int64) → [B, dim] float32.
 */
export function timestepSinusoid(g: GraphBuilder, t: Value, dim: number, maxPeriod = 10_000): Value {
  const half = Math.floor(dim / 2);
  const logPeriod = f(-Math.log(maxPeriod));
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = f(Math.exp(f(f(logPeriod * i) / half)));
  const tf = op.cast(g, t, 'float32');
  const args = g.op('Mul', [op.unsqueeze(g, tf, [1]), g.constant(freqs, [1, half], 'timestep_freqs')]); // [B, half]
  const emb = op.concat(g, [g.op('Cos', [args]), g.op('Sin', [args])], 1);
  // ldm pads an odd width with one zero column.
  return dim % 2 ? op.pad(g, emb, [0, 0, 0, 1]) : emb;
}

/**
 * `time_embed`: Linear → SiLU → Linear over the sinusoid of t, in the compute type.
 * `w` is the UNet scope (`model.diffusion_model`). t [B] → [B, timeEmbedDim].
 */
export function timeEmbedding(g: GraphBuilder, w: WeightScope, t: Value): Value {
  return g.within(w.scope('time_embed').prefix, () => {
    const dim = w.get('time_embed.0.weight').shape[1];
    const s = op.cast(g, timestepSinusoid(g, t, dim), g.computeType);
    return linear(g, w.scope('time_embed.2'), op.silu(g, linear(g, w.scope('time_embed.0'), s)));
  });
}

/**
 * sgm's `label_emb` for the vector conditioning (num_classes "sequential"): Linear → SiLU →
 * Linear, added to the time embedding before any ResBlock sees it. `w` is the UNet scope.
 * y [B, admInChannels] → [B, timeEmbedDim].
 */
export function labelEmbedding(g: GraphBuilder, w: WeightScope, y: Value): Value {
  return g.within(w.scope('label_emb').prefix, () => linear(g, w.scope('label_emb.0.2'), op.silu(g, linear(g, w.scope('label_emb.0.0'), y))));
}
