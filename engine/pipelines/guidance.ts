import { StudioError } from '../api/errors.ts';
import type { ModelFn } from '../schedulers/types.ts';
import { type Conditioning, type Denoiser, type Tensor, prediction } from '../denoiser/denoiser.ts';

/** Rows of several [1, …] or [B, …] tensors stacked along the batch axis. */
function stack(parts: readonly Tensor[], what: string): Tensor {
  const tail = parts[0].dims.slice(1);
  if (parts.some((p) => p.dims.length !== parts[0].dims.length || p.dims.slice(1).some((d, i) => d !== tail[i]))) {
    throw new StudioError('SHAPE_MISMATCH', `guidance: the conditional and unconditional ${what} differ in shape (${parts.map((p) => `[${p.dims.join(', ')}]`).join(' vs ')})`);
  }
  if (parts.length === 1) return parts[0];
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { data, dims: [parts.reduce((n, p) => n + p.dims[0], 0), ...tail] };
}

/** The batch of Conditioning rows: context, mask, pooled vector and every micro-condition concatenated in order. */
export function batchConditioning(rows: readonly Conditioning[]): Conditioning {
  const field = <K extends 'contextMask' | 'pooled'>(k: K): Tensor | undefined => {
    const present = rows.map((r) => r[k]).filter((t): t is Tensor => t !== undefined);
    if (present.length === 0) return undefined;
    if (present.length !== rows.length) throw new StudioError('SHAPE_MISMATCH', `guidance: only some conditioning rows carry ${k}`);
    return stack(present, k);
  };
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const extra = Object.fromEntries(names.map((n) => [n, stack(rows.map((r) => {
    const t = r.extra?.[n];
    if (!t) throw new StudioError('SHAPE_MISMATCH', `guidance: only some conditioning rows carry ${n}`);
    return t;
  }), n)]));
  const contextMask = field('contextMask');
  const pooled = field('pooled');
  return {
    context: stack(rows.map((r) => r.context), 'text states'),
    ...(contextMask ? { contextMask } : {}),
    ...(pooled ? { pooled } : {}),
    ...(names.length ? { extra } : {}),
  };
}

/**
 * The sampler's model callback with classifier-free guidance: one denoiser call on the batch
 * [uncond, cond] (the reference's order), then uncond + cfg·(cond − uncond). With cfg = 1
 * the unconditional branch cannot change the result, so only the conditional one runs.
 * `extra` are channels appended to the latent for every call (a 9-channel inpainting model's
 * mask and masked-image latent, [1, E, h, w]).
 */
export function guidedModel(
  denoiser: Denoiser,
  cond: Conditioning,
  uncond: Conditioning,
  cfg: number,
  latentDims: readonly number[],
  extra?: Float32Array,
): ModelFn {
  const [, c, h, w] = latentDims;
  const n = c * h * w;
  const e = extra ? extra.length : 0;
  const inChannels = c + e / (h * w);
  const batches = cfg === 1 ? 1 : 2;
  const conditioning = batches === 1 ? cond : batchConditioning([uncond, cond]);
  const input = new Float32Array(batches * (n + e));
  return async (x, t, _sigma, step) => {
    for (let b = 0; b < batches; b++) {
      input.set(x, b * (n + e));
      if (extra) input.set(extra, b * (n + e) + n);
    }
    const result = await denoiser.run({ data: input, dims: [batches, inChannels, h, w] }, batches === 1 ? [t] : [t, t], conditioning, step);
    const out = prediction(denoiser, result);
    if (batches === 1) return out;
    const guided = new Float32Array(n);
    for (let i = 0; i < n; i++) guided[i] = out[i] + cfg * (out[n + i] - out[i]);
    return guided;
  };
}
