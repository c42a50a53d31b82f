import type { Settings } from '../api/schemas.ts';
import { tokenMergingControllers } from '../controllers/tome/tokenMerging.ts';
import type { TokenMergingOptions } from '../controllers/tome/options.ts';
import type { AttentionController } from '../controllers/controller.ts';
import { loadUNet, type UNetRunner } from '../models/unet/runner.ts';
import { type ModelBundle, runtimeFromSettings } from './modelBundle.ts';

/** A request's `tokenMerging` as validated by TokenMergingSchema. */
export type TokenMergingRequest = Partial<TokenMergingOptions> & { ratio: number; excludeMasked?: boolean };

/**
 * The UNet a run uses: the bundle's own when merging is off or at ratio 0 (so ratio 0 is
 * exactly merging off), else one with the ToMe controller. Its compiled session is cached
 * by the controller's signature, so later runs at any ratio reuse it.
 * `mask` (latent resolution, nonzero = regenerated) protects those tokens when the request
 * asks for `excludeMasked`.
 */
export async function unetWithTokenMerging(
  bundle: ModelBundle,
  settings: Settings,
  request: TokenMergingRequest | undefined,
  latent: { height: number; width: number },
  mask?: Float32Array,
  /** Other controllers of the run (image prompts); composed with merging in one chain. */
  extra: readonly AttentionController[] = [],
): Promise<UNetRunner> {
  const { excludeMasked, ...options } = request ?? { ratio: 0 };
  const protect = excludeMasked && mask ? Uint8Array.from(mask, (v) => (v > 0 ? 1 : 0)) : undefined;
  const controllers = tokenMergingControllers(request ? options : undefined, { latent, protect });
  if (!controllers.length && !extra.length) return bundle.unet;
  return loadUNet(bundle.spec, { controllers: [...controllers, ...extra], runtime: runtimeFromSettings(settings) });
}

/** `Token merging ratio` in the A1111 `parameters` text (the key A1111 itself writes), when merging was on. */
export function tokenMergingParameters(request: TokenMergingRequest | undefined): Record<string, number> {
  return request && request.ratio > 0 ? { 'Token merging ratio': request.ratio } : {};
}
