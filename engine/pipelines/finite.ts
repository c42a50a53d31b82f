/** NaN/Inf checks on a bundle's networks (the denoiser checks itself, see graph/finite.ts). */
import { assertFinite } from '../graph/finite.ts';
import type { HostTensor } from '../graph/session.ts';
import type { ModelBundle } from './modelBundle.ts';

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
 * The bundle with the text encoder's and VAE's outputs checked for NaN/Inf (the denoiser
 * checks its own, with whatever controllers). The VAE decoder checks its input too, so a
 * latent the sampler spoiled is blamed on the denoiser, not the decoder.
 */
export function guardNonFinite<B extends ModelBundle>(bundle: B): B {
  const conditioner = guard(bundle.conditioner, {
    encode: (r: Awaited<ReturnType<ModelBundle['conditioner']['encode']>>) => {
      assertFinite(r.cond.context.data, 'text encoder');
      assertFinite(r.uncond.context.data, 'text encoder');
    },
  });
  const guarded = {
    ...bundle,
    conditioner,
    vaeDecoder: guard(bundle.vaeDecoder, {
      decode: (r: HostTensor, args) => {
        assertFinite((args[0] as HostTensor).data, 'denoiser', 'denoised latent');
        assertFinite(r.data, 'VAE decoder', 'image');
      },
    }),
    vaeEncoder: guard(bundle.vaeEncoder, { encode: (r: HostTensor) => assertFinite(r.data, 'VAE encoder') }),
  };
  if (!('textEncoder' in bundle)) return guarded;
  return { ...guarded, textEncoder: guardTextEncoder(bundle.textEncoder) };
}

/** A CLIP text encoder whose outputs are checked for NaN/Inf (one swapped in later, e.g. with a LoRA, needs its own). */
export function guardTextEncoder<T extends { encodeIds: unknown; encodePrompt: unknown }>(encoder: T): T {
  return guard(encoder, {
    encodeIds: (r: { data: Float32Array }) => assertFinite(r.data, 'text encoder'),
    encodePrompt: (r: { data: Float32Array }) => assertFinite(r.data, 'text encoder'),
  } as Partial<Record<keyof T, (result: never, args: unknown[]) => void>>);
}
