import type { OperationName } from '../api/operations.ts';
import type { Recipe as StoredRecipe } from '../studio/results/store.ts';
import type { GenerateParams } from '../studio/context.ts';
import { formatParameters } from './parameters.ts';

export interface ResultMetadata {
  parameters: string;
  recipe: StoredRecipe;
}

/**
 * The two descriptions every result carries: A1111 `parameters` text for other tools, and
 * the exact validated request (with this image's own seed and a batch of one) to regenerate it.
 */
export function resultMetadata(
  operation: OperationName,
  params: Pick<GenerateParams, 'negativePrompt' | 'steps' | 'sampler'> & { cfg: number } & Record<string, unknown>,
  image: { seed: number; width: number; height: number },
  model: { name: string; hash: string | null },
  extra?: Record<string, string | number>,
  /** What the image shows, when the request names it otherwise (an edit's target prompt). */
  shownPrompt: string = String(params.prompt ?? ''),
): ResultMetadata {
  const parameters = formatParameters({
    prompt: shownPrompt,
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    sampler: params.sampler,
    cfg: params.cfg,
    seed: image.seed,
    width: image.width,
    height: image.height,
    model: model.name,
    ...(model.hash ? { modelHash: model.hash } : {}),
    ...(extra ? { extra } : {}),
  });
  const request: Record<string, unknown> = { ...params, seed: image.seed, batchCount: 1, width: image.width, height: image.height };
  return { parameters, recipe: { format: 'latent-studio-recipe', version: 1, operation, request, modelHash: model.hash } };
}
