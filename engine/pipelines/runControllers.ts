import type { Settings } from '../api/schemas.ts';
import type { AttentionController } from '../controllers/controller.ts';
import { tokenMergingControllers } from '../controllers/tome/tokenMerging.ts';
import type { Denoiser } from '../denoiser/denoiser.ts';
import type { ResultStore } from '../studio/results/store.ts';
import { type ImagePromptRequest, imagePromptController } from './imagePrompts.ts';
import type { ModelBundle } from './modelBundle.ts';
import type { TokenMergingRequest } from './tokenMerging.ts';

/** What any request may say that becomes a controller. */
export interface ControllerRequest extends ImagePromptRequest {
  tokenMerging?: TokenMergingRequest;
}

export interface RunControllerOptions {
  /** The operation's own controllers (prompt-to-prompt and its map store, style injection). */
  own?: readonly AttentionController[];
  /** Latent-resolution mask (nonzero = regenerated): token merging protects it when the request asks. */
  mask?: Float32Array;
}

/**
 * The one assembler of a run's controllers: token merging and image prompts from the
 * request, then the operation's own. Every pipeline gets its denoiser here, so a combination
 * that cannot work is refused once — by the chain's conflicts — whichever operation asked.
 * With nothing to add it is the bundle's own denoiser (ratio 0 and scale 0 are exactly off).
 */
export async function denoiserForRun(bundle: ModelBundle, settings: Settings, results: ResultStore, request: ControllerRequest, o: RunControllerOptions = {}): Promise<Denoiser> {
  const { excludeMasked, ...tome } = request.tokenMerging ?? { ratio: 0 };
  const protect = excludeMasked && o.mask ? Uint8Array.from(o.mask, (v) => (v > 0 ? 1 : 0)) : undefined;
  const ip = await imagePromptController(bundle, settings, request, results);
  const controllers = [...tokenMergingControllers(tome, { protect }), ...(ip ? [ip] : []), ...(o.own ?? [])];
  return controllers.length ? bundle.denoiser.withControllers(controllers) : bundle.denoiser;
}
