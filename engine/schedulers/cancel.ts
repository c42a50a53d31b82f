import { StudioError } from '../api/errors.ts';

/** Sampling loops stop between steps: a UNet call in flight is not interrupted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Sampling was cancelled');
}
