import { diffWords } from '../editor/promptDiff.ts';
import { parsePrompt } from '../editor/promptWords.ts';
import { type EditConditions, hasEditChange } from '../editor/runBlockers.ts';
import { unsupportedOperations } from './modelsSlice.ts';
import type { StudioState } from './store.ts';

/** What decides whether Edit can run, read from the store (the run bar and runJob ask the same). */
export function editConditions(s: Pick<StudioState, 'run' | 'prompt' | 'source' | 'imagePrompt'> & Partial<Pick<StudioState, 'models'>>): EditConditions {
  const segments = diffWords(parsePrompt(s.prompt.sourcePrompt), parsePrompt(s.prompt.targetPrompt));
  const model = s.models?.find((m) => m.path === s.run.model);
  return {
    run: s.run, changed: hasEditChange(segments, s.prompt), hasImage: Boolean(s.source), imagePrompts: s.imagePrompt.images.some((i) => i.scale !== 0),
    editUnsupported: unsupportedOperations(model).includes('edit'),
  };
}
