import { StudioError } from '../api/errors.ts';

/** The networks whose outputs are checked; named in the error so the user knows which weights are bad. */
export type CheckedNetwork = 'UNet' | 'denoiser' | 'text encoder' | 'VAE decoder' | 'VAE encoder' | (string & {});

/** Index of the first NaN or ±Inf, or -1. One pass without allocation: cheap next to any network run. */
export function firstNonFinite(data: ArrayLike<number | bigint>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'number' && !Number.isFinite(v)) return i;
  }
  return -1;
}

/**
 * Throws a typed error when `data` holds NaN or Inf. Without this a damaged checkpoint gives
 * an all-black image (NaN clamps to 0) and reports success.
 */
export function assertFinite(data: ArrayLike<number | bigint>, network: CheckedNetwork, what = 'output'): void {
  const index = firstNonFinite(data);
  if (index < 0) return;
  const value = String(data[index]);
  throw new StudioError(
    'RUNTIME_FAILURE',
    `The ${network} produced ${value} (element ${index} of its ${what}): its weights are probably damaged or the input is out of range`,
    { reason: 'non-finite', network, index, value },
  );
}

