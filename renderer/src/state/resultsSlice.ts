import type { StateCreator } from 'zustand';
import type { JobKind } from '../../../engine/api/events.ts';
import { followWorkingImage, madePrompt } from '../editor/workingPrompt.ts';
import type { ImageLayer } from './documentSlice.ts';
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
  /** Makes a result the new source ("continue editing from it"); `origin` is the image it was made from. */
  continueFrom(imageId: string, origin?: ImageLayer | null): void;
}

const KIND_NAME: Record<string, string> = { generate: 'Generated', edit: 'Edited', inpaint: 'Inpainted', img2img: 'Image to image', stylize: 'Stylized' };

/** A result as the canvas names it: its kind and place in the history ("Generated 2"), as the history strip labels it. */
export function resultLayer(results: readonly ResultEntry[], imageId: string): ImageLayer | null {
  const i = results.findIndex((x) => x.imageId === imageId);
  if (i < 0) return null;
  const r = results[i];
  return { url: r.url, width: r.width, height: r.height, input: { imageId }, name: `${KIND_NAME[r.kind] ?? r.kind} ${i + 1}` };
}

export const createResultsSlice: StateCreator<StudioState, [], [], ResultsSlice> = (set, get) => ({
  results: [],
  addResult: (entry) => set((s) => ({ results: [...s.results.filter((r) => r.imageId !== entry.imageId), entry] })),
  viewResult(imageId) {
    const layer = resultLayer(get().results, imageId);
    if (!layer) return;
    const src = get().source?.input;
    // The working image itself is not a result beside itself.
    if (src && 'imageId' in src && src.imageId === imageId) set({ result: null, resultId: imageId });
    else set({ result: layer, resultId: imageId });
  },
  restoreResult(imageId) {
    const r = get().results.find((x) => x.imageId === imageId);
    if (r) get().applyRecipe(r.op, r.request);
  },
  continueFrom(imageId, origin = null) {
    const r = get().results.find((x) => x.imageId === imageId);
    const layer = resultLayer(get().results, imageId);
    if (!r || !layer) return;
    get().setSource(layer, origin);
    set({ resultId: imageId });
    // The prompt that made this image is the new "before" text of the prompt editor.
    const made = madePrompt(r.request);
    if (made !== undefined) set((s) => ({ prompt: followWorkingImage(s.prompt, made) }));
  },
});
