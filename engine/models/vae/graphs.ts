import { GraphBuilder } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';
import { conv2d, type WeightScope } from '../../nn/index.ts';
import type { VAEConfig } from '../spec.ts';
import { type VAEBuildOptions, attnBlock, downsample, midBlock, outputHead, resnetBlock, upsample } from './blocks.ts';

/**
 * KL-f8 VAE graphs over the `first_stage_model` scope. Dimensions come from the weights'
 * shapes (via VAEConfig); the loops mirror LDM's `Encoder` / `Decoder` module trees so every
 * weight is asked for by its own key.
 */

/** image [B, 3, H, W] in [-1, 1] → moments [B, 2·embed, H/8, W/8] = quant_conv(encoder(image)). */
export function buildVAEEncoder(w: WeightScope, cfg: VAEConfig, computeType: 'float32' | 'float16', opts: VAEBuildOptions = {}): GraphBuilder {
  const g = new GraphBuilder({ name: 'vae-encoder', computeType });
  const image = g.input('image', 'float32', ['batch', cfg.inChannels, 'height', 'width']);
  const e = w.scope('encoder');
  let h = conv2d(g, e.scope('conv_in'), op.cast(g, image, computeType));
  for (let level = 0; level < cfg.chMult.length; level++) {
    const down = e.scope(`down.${level}`);
    for (let i = 0; i < cfg.numResBlocks; i++) {
      h = resnetBlock(g, down.scope(`block.${i}`), h);
      if (cfg.attnLevels.includes(level)) h = attnBlock(g, down.scope(`attn.${i}`), h, opts);
    }
    if (level !== cfg.chMult.length - 1) h = downsample(g, down.scope('downsample'), h);
  }
  h = midBlock(g, e.scope('mid'), h, opts);
  h = outputHead(g, e, h);
  if (w.has('quant_conv.weight')) h = conv2d(g, w.scope('quant_conv'), h);
  g.output(op.cast(g, h, 'float32'), 'moments', ['batch', (cfg.doubleZ ? 2 : 1) * cfg.embedDim, 'latent_height', 'latent_width']);
  return g;
}

/**
 * z [B, embed, h, w] in diffusion space → image [B, 3, 8h, 8w], raw (nominal [-1, 1]).
 * z is multiplied by the float32 reciprocal of the scale factor, as LDM does
 * (`1 / scale_factor * z`; dividing can differ in the last bit).
 */
export function buildVAEDecoder(w: WeightScope, cfg: VAEConfig, scaleFactor: number, computeType: 'float32' | 'float16', opts: VAEBuildOptions = {}): GraphBuilder {
  const g = new GraphBuilder({ name: 'vae-decoder', computeType });
  const z = g.input('z', 'float32', ['batch', cfg.embedDim, 'latent_height', 'latent_width']);
  const scaled = op.mul(g, z, g.constant(Float32Array.of(1 / scaleFactor), [], 'inv_scale_factor'), 'unscale_latent');
  let h = op.cast(g, scaled, computeType);
  if (w.has('post_quant_conv.weight')) h = conv2d(g, w.scope('post_quant_conv'), h);
  const d = w.scope('decoder');
  h = conv2d(g, d.scope('conv_in'), h);
  h = midBlock(g, d.scope('mid'), h, opts);
  for (let level = cfg.chMult.length - 1; level >= 0; level--) {
    const up = d.scope(`up.${level}`);
    for (let i = 0; i <= cfg.numResBlocks; i++) {
      h = resnetBlock(g, up.scope(`block.${i}`), h);
      if (cfg.attnLevels.includes(level)) h = attnBlock(g, up.scope(`attn.${i}`), h, opts);
    }
    if (level !== 0) h = upsample(g, up.scope('upsample'), h);
  }
  h = outputHead(g, d, h);
  g.output(op.cast(g, h, 'float32'), 'image', ['batch', cfg.outChannels, 'height', 'width']);
  return g;
}
