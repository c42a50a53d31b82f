import { StudioError } from '../../api/errors.ts';
import type { HostTensor } from '../../graph/session.ts';
import type { VAEConfig } from '../spec.ts';

/**
 * LDM's DiagonalGaussianDistribution over encoder moments [B, 2z, h, w]: channels [0, z) are
 * the mean, [z, 2z) the log-variance, clamped to [-30, 20] before use. All arithmetic is
 * float32 (Math.fround) so results match the reference bit for bit where it is exact.
 */
function split(moments: HostTensor): { B: number; z: number; plane: number; data: Float32Array } {
  const [B, C, h, w] = moments.dims;
  if (C % 2 !== 0) throw new StudioError('SHAPE_MISMATCH', `Moments need an even channel count, got ${C}`);
  return { B, z: C / 2, plane: h * w, data: moments.data as Float32Array };
}

function half(moments: HostTensor, second: boolean, f: (v: number) => number): HostTensor {
  const { B, z, plane, data } = split(moments);
  const out = new Float32Array(B * z * plane);
  for (let b = 0; b < B; b++) {
    const src = (b * 2 * z + (second ? z : 0)) * plane;
    for (let i = 0; i < z * plane; i++) out[b * z * plane + i] = f(data[src + i]);
  }
  return { data: out, dims: [B, z, moments.dims[2], moments.dims[3]], dtype: 'float32' };
}

export function latentMean(moments: HostTensor): HostTensor {
  return half(moments, false, (v) => v);
}

export function latentLogvar(moments: HostTensor): HostTensor {
  return half(moments, true, (v) => Math.min(20, Math.max(-30, v)));
}

/**
 * mean + exp(0.5·logvar)·noise, as ldm's `sample()`; `noise` is N(0, 1) of the latent's shape.
 */
export function sampleLatent(moments: HostTensor, noise: Float32Array): HostTensor {
  const mean = latentMean(moments);
  const logvar = latentLogvar(moments);
  const m = mean.data as Float32Array, lv = logvar.data as Float32Array;
  if (noise.length !== m.length) throw new StudioError('SHAPE_MISMATCH', `Noise has ${noise.length} values, latent ${m.length}`);
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = Math.fround(m[i] + Math.fround(Math.fround(Math.exp(Math.fround(0.5 * lv[i]))) * noise[i]));
  return { data: out, dims: mean.dims, dtype: 'float32' };
}

/**
 * Pixels per latent cell: the autoencoder halves the resolution between its levels
 * (SD's four levels: 8; LDM's kl-f4 and the toy model's three: 4).
 */
export function latentFactor(vae: Pick<VAEConfig, 'chMult'>): number {
  return 2 ** (vae.chMult.length - 1);
}

/** Into diffusion space: scale_factor · z (what the UNet and sampler see). */
export function toDiffusionLatent(z: HostTensor, scaleFactor: number): HostTensor {
  const s = Math.fround(scaleFactor);
  const src = z.data as Float32Array;
  return { data: src.map((v) => Math.fround(s * v)), dims: [...z.dims], dtype: 'float32' };
}
