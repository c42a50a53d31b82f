import { ControllerChain } from '../../controllers/chain.ts';
import { GraphBuilder, type Value } from '../../graph/builder.ts';
import type { AttentionKernel } from '../../graph/ops/attention.ts';
import * as op from '../../graph/ops/index.ts';
import { linear } from '../../nn/linear.ts';
import type { WeightScope } from '../../nn/types.ts';
import { pixartBlock } from './block.ts';
import { captionMaskPlan, captionMaskValues } from './captionMask.ts';
import type { PixArtConfig } from './config.ts';
import { adaLNSingle, captionProjection, modulatedNorm, patchEmbed, type MicroConditions } from './embeddings.ts';
import { type DiTExtent, type PixArtSites, pixartSites } from './sites.ts';

/** Names of the graph's symbolic dimensions; controller inputs may use them too. */
export const PIXART_DIMS = { batch: 'batch', height: 'h', width: 'w', tokens: 'tokens', gridTokens: 'grid_tokens' } as const;

export interface PixArtInputs {
  /** [B, Cin, h, w] latent. */
  x: Value;
  /** [B] DDPM timesteps (float32). */
  t: Value;
  /** [B, L, captionChannels] raw T5 states. */
  caption: Value;
  /** [B, L] int64, 1 = token, 0 = padding. */
  mask: Value;
  /** [1, (h/p)·(w/p), C] sin-cos table of this grid. */
  pos: Value;
  micro?: MicroConditions;
}

/** Intermediate tensors the parity tests compare (diffusers module outputs). */
export interface PixArtTaps {
  patchEmbed?: Value;
  caption?: Value;
  embedded?: Value;
  t0?: Value;
  blocks: Value[];
  projOut?: Value;
}

/**
 * PixArtTransformer2DModel over the canonical (diffusers) weight scope. Returns the raw output
 * [B, outChannels, h, w] in the compute type: channels 0..3 ε, the rest learned sigma.
 */
export function pixartForward(g: GraphBuilder, w: WeightScope, c: PixArtConfig, inputs: PixArtInputs, sites: PixArtSites, chain: ControllerChain, kernel: AttentionKernel, taps: PixArtTaps = { blocks: [] }): Value {
  const p = c.patchSize;
  const x = op.cast(g, inputs.x, g.computeType);
  const grid = op.div(g, op.shapeOf(g, inputs.x, 2, 4), g.constant(BigInt64Array.from([BigInt(p)]), [1], 'patch')); // [h/p, w/p]
  // The mask kernel joins the caller's plans for this build only: it holds this graph's values.
  const bound = new ControllerChain([...chain.plans, captionMaskPlan(captionMaskValues(g, inputs.mask))]).bind(g, { kernel });

  let h = (taps.patchEmbed = patchEmbed(g, w, c, x, inputs.pos));
  const ada = adaLNSingle(g, w, c, inputs.t, inputs.micro);
  taps.embedded = ada.embedded;
  taps.t0 = ada.t0;
  const caption = (taps.caption = captionProjection(g, w, op.cast(g, inputs.caption, g.computeType)));
  for (let i = 0; i < c.depth; i++) {
    h = pixartBlock(g, w.scope(`transformer_blocks.${i}`), c.width, sites.blocks[i], { x: h, caption, t0: ada.t0, grid: () => grid }, bound);
    taps.blocks.push(h);
  }
  bound.finish();

  // Final layer: modulated by the embedded timestep (not t0); rows 0 = shift, 1 = scale.
  const mods = op.add(g, op.unsqueeze(g, ada.embedded, [1]), g.weight(w.get('scale_shift_table'))); // [B, 2, C]
  const [shift, scale] = op.split(g, mods, 1, { parts: 2 });
  const out = (taps.projOut = linear(g, w.scope('proj_out'), modulatedNorm(g, h, c.width, shift, scale))); // [B, N, p·p·Cout]
  // Unpatchify: (h/p, w/p, p, p, Cout) → "nhwpqc → nchpwq" → [B, Cout, h, w].
  const batch = op.shapeOf(g, inputs.x, 0, 1);
  const patches = op.reshape(g, out, op.concat(g, [batch, grid, g.ints([p, p, c.outChannels])], 0));
  const image = op.transpose(g, patches, [0, 5, 1, 3, 2, 4]);
  return op.reshape(g, image, op.concat(g, [batch, g.ints([c.outChannels]), op.shapeOf(g, inputs.x, 2, 4)], 0));
}

export interface PixArtGraphOptions {
  kernel?: AttentionKernel;
  extent?: DiTExtent & { batch?: number };
  /** Also output the intermediates (`tap/*`) the golden set documents. */
  taps?: boolean;
}

/**
 * The transformer as one graph: inputs `x`, `t`, `caption`, `mask`, `pos_embed` (and
 * `resolution`, `aspect_ratio` with micro-conditions), float32 at the boundary; output
 * `output` float32 [B, outChannels, h, w], plus the controllers' inputs and outputs.
 */
export function buildPixArtGraph(computeType: 'float32' | 'float16', w: WeightScope, c: PixArtConfig, chain: ControllerChain, opts: PixArtGraphOptions = {}): GraphBuilder {
  const e = opts.extent ?? {};
  const D = PIXART_DIMS;
  const B = e.batch ?? D.batch;
  const H = e.height ?? D.height;
  const W = e.width ?? D.width;
  const L = e.tokens ?? D.tokens;
  const g = new GraphBuilder({ name: 'pixart', computeType });
  const inputs: PixArtInputs = {
    x: g.input('x', 'float32', [B, c.inChannels, H, W]),
    t: g.input('t', 'float32', [B]),
    caption: g.input('caption', 'float32', [B, L, c.captionChannels]),
    mask: g.input('mask', 'int64', [B, L]),
    pos: g.input('pos_embed', 'float32', [1, D.gridTokens, c.width]),
  };
  if (c.microConditions) {
    inputs.micro = { resolution: g.input('resolution', 'float32', [B, 2]), aspectRatio: g.input('aspect_ratio', 'float32', [B, 1]) };
  }
  const taps: PixArtTaps = { blocks: [] };
  const out = pixartForward(g, w, c, inputs, pixartSites(c, e, w.prefix), chain, opts.kernel ?? 'fused', taps);
  g.output(op.cast(g, out, 'float32'), 'output', [B, c.outChannels, H, W]);
  if (opts.taps) {
    const tap = (v: Value | undefined, name: string) => v && g.output(op.cast(g, v, 'float32'), `tap/${name}`);
    tap(taps.patchEmbed, 'patch_embed_plus_pos');
    tap(taps.caption, 'caption_projection');
    tap(taps.embedded, 'embedded_timestep');
    tap(taps.t0, 't_block');
    taps.blocks.forEach((b, i) => tap(b, `block_${i}`));
    tap(taps.projOut, 'proj_out');
  }
  return g;
}
