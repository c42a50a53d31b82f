import { StudioError } from '../api/errors.ts';

/** Sampling loops stop between steps: a UNet call in flight is not interrupted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Sampling was cancelled');
}

/** A wrong-sized model output would otherwise surface as NaNs several steps later. */
export function checkModelOutput(out: Float32Array, x: Float32Array, t: number): void {
  if (!(out instanceof Float32Array) || out.length !== x.length) {
    throw new StudioError('SHAPE_MISMATCH', `model output at t=${t} has ${out?.length} values, the latent ${x.length}`);
  }
}
