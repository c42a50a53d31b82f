import { StudioError } from '../api/errors.ts';
import type { HostTensor } from '../graph/session.ts';
import type { ModelBundle } from './modelBundle.ts';

/** The networks whose outputs are checked; named in the error so the user knows which weights are bad. */
export type CheckedNetwork = 'UNet' | 'text encoder' | 'VAE decoder' | 'VAE encoder';

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

function guard<T extends object>(target: T, checks: Partial<Record<keyof T, (result: never, args: unknown[]) => void>>): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const value = Reflect.get(t, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const check = checks[key as keyof T];
      const bound = (value as (...a: unknown[]) => unknown).bind(t);
      if (!check) return bound;
      return async (...args: unknown[]) => {
        const result = await bound(...args);
        check(result as never, args);
        return result;
      };
    },
  });
}

/**
 * The bundle with every network's outputs checked for NaN/Inf. The VAE decoder checks its
 * input too, so a latent the UNet already spoiled (any UNet: controllers load their own) is
 * blamed on the UNet, not the decoder.
 */
export function guardNonFinite(bundle: ModelBundle): ModelBundle {
  return {
    ...bundle,
    textEncoder: guard(bundle.textEncoder, {
      encodeIds: (r: { data: Float32Array }) => assertFinite(r.data, 'text encoder'),
      encodePrompt: (r: { data: Float32Array }) => assertFinite(r.data, 'text encoder'),
    }),
    unet: guard(bundle.unet, {
      run: (r: Float32Array) => assertFinite(r, 'UNet'),
      runDetailed: (r: { output: Float32Array }) => assertFinite(r.output, 'UNet'),
    }),
    vaeDecoder: guard(bundle.vaeDecoder, {
      decode: (r: HostTensor, args) => {
        assertFinite((args[0] as HostTensor).data, 'UNet', 'denoised latent');
        assertFinite(r.data, 'VAE decoder', 'image');
      },
    }),
    vaeEncoder: guard(bundle.vaeEncoder, { encode: (r: HostTensor) => assertFinite(r.data, 'VAE encoder') }),
  };
}
