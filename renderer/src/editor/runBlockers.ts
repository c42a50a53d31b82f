import type { DiffSegment } from './promptDiff.ts';
import type { PromptSettings, RunSettings } from './recipe.ts';
import { parsePrompt } from './promptWords.ts';

/** Token merging and prompt-to-prompt: the engine refuses the pair, so the button says why first. */
export const TOME_EDIT_REASON = 'Edit cannot run with token merging on: each branch would merge its own tokens, so the source’s attention would not line up with the edit’s. Turn Token merging off in Run.';
export const NO_CHANGE_REASON = 'Nothing to edit yet: change a word in the edited prompt (or give one a weight or “only change here”).';
export const SAMPLER_EDIT_REASON = 'Editing an image inverts it with DDIM: choose the DDIM sampler in Run.';
export const DIT_EDIT_REASON = 'Edit (prompt-to-prompt) works on Stable Diffusion UNets so far; this model is a diffusion transformer (PixArt). Generate, Inpaint and image-to-image run on it.';
export const IMAGE_PROMPT_EDIT_REASON = 'Edit cannot use image prompts yet (the source and edited branches share one batch): set their scales to 0 or remove them, or Generate / Inpaint with them.';

/** Whether the edited prompt asks for any change of the source: a word swapped, added, removed or re-weighted, or a local blend. */
export function hasEditChange(segments: readonly DiffSegment[], prompt: Pick<PromptSettings, 'targetPrompt' | 'localBlendWords'>): boolean {
  return segments.some((d) => d.kind !== 'same') || parsePrompt(prompt.targetPrompt).some((w) => w.weight !== 1) || prompt.localBlendWords.length > 0;
}

export interface EditConditions {
  run: Pick<RunSettings, 'tokenMerging' | 'tokenMergingRatio' | 'sampler'>;
  changed: boolean;
  hasImage: boolean;
  /** Image prompts with a non-zero scale are set. */
  imagePrompts: boolean;
  /** The model is one the engine cannot edit (its model-list entry names `edit` as unsupported: a DiT). */
  editUnsupported?: boolean;
}

/** Why Edit cannot run now, in words shown under the button; null when it can. These are the engine's refusals, said before the click. */
export function editBlocker(c: EditConditions): string | null {
  if (c.editUnsupported) return DIT_EDIT_REASON;
  if (!c.changed) return NO_CHANGE_REASON;
  if (c.run.tokenMerging && c.run.tokenMergingRatio > 0) return TOME_EDIT_REASON;
  if (c.imagePrompts) return IMAGE_PROMPT_EDIT_REASON;
  if (c.hasImage && c.run.sampler !== 'ddim') return SAMPLER_EDIT_REASON;
  return null;
}
