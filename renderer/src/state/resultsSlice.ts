import type { StateCreator } from 'zustand';
import type { JobKind } from '../../../engine/api/events.ts';
import type { StudioState } from './store.ts';

/** One engine result with the full request that made it. Results never enter the undo history. */
export interface ResultEntry {
  imageId: string;
  jobId: string;
  kind: JobKind;
  op: string;
  request: Record<string, unknown>;
  url: string;
  width: number;
  height: number;
  seed?: number;
  createdAt: number;
}

export interface ResultsSlice {
  results: ResultEntry[];
  addResult(entry: ResultEntry): void;
  /** Shows a result as "after" against the current source. */
  viewResult(imageId: string): void;
  /** Copies a result's settings into the run panel and prompt editor. */
  restoreResult(imageId: string): void;
  /** Makes a result the new source ("continue editing from it"). */
  continueFrom(imageId: string): void;
}

export const createResultsSlice: StateCreator<StudioState, [], [], ResultsSlice> = (set, get) => ({
  results: [],
  addResult: (entry) => set((s) => ({ results: [...s.results.filter((r) => r.imageId !== entry.imageId), entry] })),
  viewResult(imageId) {
    const r = get().results.find((x) => x.imageId === imageId);
    if (!r) return;
    set({ result: { url: r.url, width: r.width, height: r.height, input: { imageId }, name: `result-${imageId.slice(0, 8)}` }, resultId: imageId });
  },
  restoreResult(imageId) {
    const r = get().results.find((x) => x.imageId === imageId);
    if (r) get().applyRecipe(r.op, r.request);
  },
  continueFrom(imageId) {
    const r = get().results.find((x) => x.imageId === imageId);
    if (!r) return;
    get().setSource({ url: r.url, width: r.width, height: r.height, input: { imageId }, name: `result-${imageId.slice(0, 8)}` });
    // The prompt that made this image is the new "before" text of the prompt editor.
    const made = (r.request.targetPrompt ?? r.request.prompt) as string | undefined;
    if (typeof made === 'string') set((s) => ({ prompt: { ...s.prompt, sourcePrompt: made, targetPrompt: made } }));
  },
});
