import type { EditPlan } from '../controllers/p2p/plan.ts';
import type { EditParams } from '../studio/context.ts';
import { resultMetadata, type ResultMetadata } from './recipe.ts';

/**
 * An edit's recipe: the A1111 text carries the target prompt (what the image shows) with
 * the source prompt and every edit setting as extra pairs; the JSON recipe is the exact
 * validated request, so replaying it reproduces the edit.
 */
export function editMetadata(
  params: EditParams & { cfg: number },
  plan: EditPlan,
  image: { seed: number; width: number; height: number },
  model: { name: string; hash: string | null },
  /** Further pairs (the LoRAs' hashes). */
  more: Record<string, string> = {},
): ResultMetadata {
  const list = (r: Record<string, number>) => Object.entries(r).map(([w, v]) => `${w}=${v}`).join(' ');
  const extra: Record<string, string | number> = {
    'Edit source prompt': params.sourcePrompt,
    'Edit mode': plan.mode,
    'Cross replace steps': params.crossReplaceSteps,
    'Self replace steps': params.selfReplaceSteps,
    ...(Object.keys(params.crossReplaceWords).length ? { 'Cross replace words': list(params.crossReplaceWords) } : {}),
    ...(Object.keys(params.wordWeights).length ? { 'Word weights': list(params.wordWeights) } : {}),
    ...(params.localBlendWords.length ? { 'Local blend': params.localBlendWords.join(' ') } : {}),
    ...(params.mask ? { 'Edit mask': 'yes' } : {}),
    ...(params.image ? { 'Edit inversion': 'DDIM + direct inversion' } : {}),
    ...more,
  };
  return resultMetadata('jobs.edit', params, image, model, extra, params.targetPrompt);
}
