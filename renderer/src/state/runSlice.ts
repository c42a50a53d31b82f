import type { StateCreator } from 'zustand';
import { DEFAULT_PROMPT, DEFAULT_RUN, type PromptSettings, type RunSettings } from '../editor/recipe.ts';
import type { StudioState } from './store.ts';

/** The run panel and the prompt editor's values. Not in the undo history: they are settings, not edits of the image. */
export interface RunSlice {
  run: RunSettings;
  prompt: PromptSettings;
  setRun(patch: Partial<RunSettings>): void;
  setPrompt(patch: Partial<PromptSettings>): void;
  toggleLocalBlend(word: string): void;
}

export const createRunSlice: StateCreator<StudioState, [], [], RunSlice> = (set) => ({
  run: DEFAULT_RUN,
  prompt: DEFAULT_PROMPT,
  setRun: (patch) => set((s) => ({ run: { ...s.run, ...patch } })),
  setPrompt: (patch) => set((s) => ({ prompt: { ...s.prompt, ...patch } })),
  toggleLocalBlend: (word) =>
    set((s) => {
      const words = s.prompt.localBlendWords;
      const next = words.includes(word) ? words.filter((w) => w !== word) : [...words, word];
      return { prompt: { ...s.prompt, localBlendWords: next } };
    }),
});
