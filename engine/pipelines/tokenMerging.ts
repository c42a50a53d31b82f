import { tokenMergingControllers } from '../controllers/tome/tokenMerging.ts';
import type { TokenMergingOptions } from '../controllers/tome/options.ts';
import type { AttentionController } from '../controllers/controller.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import type { ModelBundle } from './modelBundle.ts';

/** A request's `tokenMerging` as validated by TokenMergingSchema. */
export type TokenMergingRequest = Partial<TokenMergingOptions> & { ratio: number; excludeMasked?: boolean };

/**
 * The denoiser a run uses: the bundle's own when merging is off or at ratio 0 (so ratio 0 is
 * exactly merging off), else one with the ToMe controller. Its compiled session is cached
 * by the controller's signature, so later runs at any ratio reuse it.
 * `mask` (latent resolution, nonzero = regenerated) protects those tokens when the request
 * asks for `excludeMasked`.
 */
export async function denoiserWithTokenMerging(
  bundle: ModelBundle,
  request: TokenMergingRequest | undefined,
  mask?: Float32Array,
  /** Other controllers of the run (image prompts); composed with merging in one chain. */
  extra: readonly AttentionController[] = [],
): Promise<Denoiser> {
  const { excludeMasked, ...options } = request ?? { ratio: 0 };
  const protect = excludeMasked && mask ? Uint8Array.from(mask, (v) => (v > 0 ? 1 : 0)) : undefined;
  const controllers = tokenMergingControllers(request ? options : undefined, { protect });
  if (!controllers.length && !extra.length) return bundle.denoiser;
  return bundle.denoiser.withControllers([...controllers, ...extra]);
}

/** `Token merging ratio` in the A1111 `parameters` text (the key A1111 itself writes), when merging was on. */
export function tokenMergingParameters(request: TokenMergingRequest | undefined): Record<string, number> {
  return request && request.ratio > 0 ? { 'Token merging ratio': request.ratio } : {};
}
