import { GraphBuilder, type Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { conv2d, groupNorm, type WeightScope } from '../../nn/index.ts';

/**
 * TAESD (madebyollin/taesd `taesd.py`) encoder and decoder. Layer plans mirror its
 * `nn.Sequential`s, so position = checkpoint index (`encoder.2.weight` is the first stride-2
 * conv; decoder index 0 is the weightless tanh clamp). Widths and the latent channel count
 * come from the weight shapes; blocks grow the GroupNorm "pool" branch when their keys exist.
 */
type Layer = 'conv' | 'block' | 'down' | 'up' | 'relu' | 'clamp';

const B3: Layer[] = ['block', 'block', 'block'];
export const ENCODER_PLAN: readonly Layer[] = ['conv', 'block', 'down', ...B3, 'down', ...B3, 'down', ...B3, 'conv'];
export const DECODER_PLAN: readonly Layer[] = [
  'clamp', 'conv', 'relu', ...B3, 'up', 'conv', ...B3, 'up', 'conv', ...B3, 'up', 'conv', 'block', 'conv',
];

/** taef2's pool branch: GroupNorm over 4 groups (not readable from shapes; taesd.py's constant). */
const POOL_NORM = { groups: 4, eps: 1e-5 } as const;

/**
 * Block(n, n): relu(conv.4(relu(conv.2(relu(conv.0(x))))) + skip(x)), skip = identity or a
 * 1x1 conv (`skip.weight`) when widths differ; with a pool branch, x ← x + pool(x) first.
 */
function block(g: GraphBuilder, w: WeightScope, x: Value): Value {
  return g.within(w.prefix, () => {
    let input = x;
    if (w.has('pool.0.weight')) {
      let p = conv2d(g, w.scope('pool.0'), input);
      p = op.relu(g, groupNorm(g, w.scope('pool.1'), p, POOL_NORM));
      input = op.add(g, input, conv2d(g, w.scope('pool.3'), p));
    }
    let h = op.relu(g, conv2d(g, w.scope('conv.0'), input));
    h = op.relu(g, conv2d(g, w.scope('conv.2'), h));
    h = conv2d(g, w.scope('conv.4'), h);
    const skip = w.has('skip.weight') ? conv2d(g, w.scope('skip'), input) : input;
    return op.relu(g, op.add(g, h, skip));
  });
}

function runPlan(g: GraphBuilder, w: WeightScope, plan: readonly Layer[], x: Value): Value {
  let h = x;
  plan.forEach((layer, i) => {
    const s = w.scope(String(i));
    switch (layer) {
      case 'conv': h = conv2d(g, s, h); break;
      case 'down': h = conv2d(g, s, h, { stride: 2 }); break;
      case 'block': h = block(g, s, h); break;
      case 'relu': h = op.relu(g, h); break;
      case 'up': h = op.upsampleNearest(g, h, 2); break;
      case 'clamp': h = op.mul(g, op.tanh(g, op.div(g, h, 3)), 3); break;
    }
  });
  return h;
}

/** image [B, 3, H, W] in [0, 1] → latents [B, C, H/8, W/8] (diffusion-latent scale). */
export function buildTAESDEncoder(w: WeightScope, computeType: 'float32' | 'float16'): GraphBuilder {
  const g = new GraphBuilder({ name: 'taesd-encoder', computeType });
  const image = g.input('image', 'float32', ['batch', 3, 'height', 'width']);
  const latentChannels = w.get(`${ENCODER_PLAN.length - 1}.weight`).shape[0];
  const h = runPlan(g, w, ENCODER_PLAN, op.cast(g, image, computeType));
  g.output(op.cast(g, h, 'float32'), 'latents', ['batch', latentChannels, 'latent_height', 'latent_width']);
  return g;
}

/** latents [B, C, h, w] → image [B, 3, 8h, 8w], raw (nominal [0, 1], not clamped). */
export function buildTAESDDecoder(w: WeightScope, computeType: 'float32' | 'float16'): GraphBuilder {
  const g = new GraphBuilder({ name: 'taesd-decoder', computeType });
  const latentChannels = w.get('1.weight').shape[1];
  const latents = g.input('latents', 'float32', ['batch', latentChannels, 'latent_height', 'latent_width']);
  const h = runPlan(g, w, DECODER_PLAN, op.cast(g, latents, computeType));
  g.output(op.cast(g, h, 'float32'), 'image', ['batch', 3, 'height', 'width']);
  return g;
}
