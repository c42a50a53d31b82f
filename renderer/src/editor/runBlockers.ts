import type { DiffSegment } from './promptDiff.ts';
import type { PromptSettings, RunSettings } from './recipe.ts';
import { parsePrompt } from './promptWords.ts';

/** Token merging and prompt-to-prompt: the engine refuses the pair, so the button says why first. */
export const TOME_EDIT_REASON = 'Edit cannot run with token merging on: each branch would merge its own tokens, so the source’s attention would not line up with the edit’s. Turn Token merging off in Run.';
export const NO_CHANGE_REASON = 'Nothing to edit yet: change a word in the edited prompt (or give one a weight or “only change here”).';

/** Whether the edited prompt asks for any change of the source: a word swapped, added, removed or re-weighted, or a local blend. */
export function hasEditChange(segments: readonly DiffSegment[], prompt: Pick<PromptSettings, 'targetPrompt' | 'localBlendWords'>): boolean {
  return segments.some((d) => d.kind !== 'same') || parsePrompt(prompt.targetPrompt).some((w) => w.weight !== 1) || prompt.localBlendWords.length > 0;
}

/** Why Edit cannot run now, in words shown under the button; null when it can. */
export function editBlocker(run: Pick<RunSettings, 'tokenMerging' | 'tokenMergingRatio'>, changed: boolean): string | null {
  if (!changed) return NO_CHANGE_REASON;
  if (run.tokenMerging && run.tokenMergingRatio > 0) return TOME_EDIT_REASON;
  return null;
}
