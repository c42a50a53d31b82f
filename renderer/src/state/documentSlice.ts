import type { StateCreator } from 'zustand';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { settingsFromRecipe, type ImageInput } from '../editor/recipe.ts';
import { isStylizeOperation } from '../editor/stylize.ts';
import { imagePromptStateFromRecipe, styleStateFromRecipe } from './recipeImages.ts';
import type { StudioState } from './store.ts';

/** An image shown on the canvas: the source ("before") or a result ("after"). */
export interface ImageLayer {
  url: string;
  width: number;
  height: number;
  input: ImageInput;
  name: string;
}

export interface RecipeOffer {
  name: string;
  operation: string;
  request: Record<string, unknown>;
  /** Only the A1111 text was found (JPEG/WebP or another tool): shown, not restorable field by field. */
  parametersOnly?: string;
}

export interface Problem {
  message: string;
  hint: string;
}

export type CompareView = 'split' | 'after' | 'before';

export interface DocumentSlice {
  /** The working image: what Edit, Inpaint, Stylize and Show attention act on. */
  source: ImageLayer | null;
  /** A result shown beside the working image ("after"), when it did not become the working image. */
  result: ImageLayer | null;
  /** The image the working image was made from, shown as "before" when no other result is shown. */
  origin: ImageLayer | null;
  /** The last image opened from a file (drop, paste, Open…): kept in the history strip to go back to. */
  opened: ImageLayer | null;
  /** Pinned: new results are shown beside the working image instead of replacing it. */
  pinned: boolean;
  setPinned(pinned: boolean): void;
  /** Result image id currently shown as "after", if it came from the history strip. */
  resultId: string | null;
  compareView: CompareView;
  split: number;
  /** Split view with the sides exchanged: after on the left, before on the right. */
  swapped: boolean;
  recipeOffer: RecipeOffer | null;
  docProblem: Problem | null;
  /** Data URL of the hovered word's attention heat map, drawn over the canvas. */
  heatMap: string | null;
  setHeatMap(url: string | null): void;
  openImage(file: Blob, name: string): Promise<void>;
  /** Makes `layer` the image being edited, no result yet; `origin` is what it was made from (a result of the current one keeps its mask). */
  setSource(layer: ImageLayer, origin?: ImageLayer | null): void;
  setCompare(patch: Partial<{ compareView: CompareView; split: number; swapped: boolean }>): void;
  /** X: show the other side (before ↔ after). */
  swapCompare(): void;
  restoreOffer(): void;
  dismissOffer(): void;
  applyRecipe(operation: string, request: Record<string, unknown>): void;
  setDocProblem(problem: Problem | null): void;
}

export const createDocumentSlice: StateCreator<StudioState, [], [], DocumentSlice> = (set, get) => ({
  source: null,
  result: null,
  origin: null,
  opened: null,
  pinned: false,
  setPinned: (pinned) => set({ pinned }),
  resultId: null,
  compareView: 'split',
  split: 0.5,
  swapped: false,
  recipeOffer: null,
  docProblem: null,
  heatMap: null,
  setHeatMap: (heatMap) => set({ heatMap }),
  async openImage(file, name) {
    set({ docProblem: null, recipeOffer: null });
    try {
      const loaded = await get().platform.loadImageFile(file);
      const layer: ImageLayer = { url: loaded.url, width: loaded.width, height: loaded.height, input: { base64: loaded.base64 }, name };
      get().setSource(layer);
      set({ opened: layer });
      // An image exported by the studio carries its recipe: offer to restore it.
      const found = await get().connection.client['images.recipe']({ image: { base64: loaded.base64 } }).catch(() => null);
      if (found?.recipe) set({ recipeOffer: { name, operation: found.recipe.operation, request: found.recipe.request } });
      else if (found?.parameters) set({ recipeOffer: { name, operation: '', request: {}, parametersOnly: found.parameters } });
    } catch (e) {
      set({ docProblem: { message: (e as Error).message, hint: hintFor(codeOf(e) ?? 'IMAGE_INVALID') } });
    }
  },
  setSource(layer, origin = null) {
    // A result of the working image keeps its mask (same pixels, same region to work on); any other image starts clean.
    const prev = get().source;
    const sameCanvas = origin !== null && origin === prev && layer.width === prev.width && layer.height === prev.height;
    if (!sameCanvas) get().maskDoc.reset();
    set((s) => ({
      source: layer,
      result: null,
      origin,
      resultId: null,
      compareView: 'split',
      // New documents default to their own size for the next run, in steps of 8 as the VAE needs.
      run: { ...s.run, width: Math.max(64, layer.width - (layer.width % 8)), height: Math.max(64, layer.height - (layer.height % 8)) },
    }));
  },
  setCompare: (patch) => set(patch),
  swapCompare() {
    const { compareView, swapped } = get();
    if (compareView === 'split') set({ swapped: !swapped });
    else set({ compareView: compareView === 'after' ? 'before' : 'after' });
  },
  restoreOffer() {
    const offer = get().recipeOffer;
    if (offer && !offer.parametersOnly) get().applyRecipe(offer.operation, offer.request);
    set({ recipeOffer: null });
  },
  dismissOffer: () => set({ recipeOffer: null }),
  applyRecipe(operation, request) {
    const s = get();
    const model = typeof request.model === 'string' && s.models.some((m) => m.path === request.model) ? request.model : undefined;
    // A stylize recipe has no prompts or sampler: it restores the style panel (and the model) only.
    if (isStylizeOperation(operation)) {
      set({ ...styleStateFromRecipe(s, request), ...(model ? { run: { ...s.run, model } } : {}) });
      return;
    }
    const { run, prompt } = settingsFromRecipe(operation, request);
    if (!model) delete run.model;
    set({ run: { ...s.run, ...run }, prompt: { ...s.prompt, ...prompt }, ...imagePromptStateFromRecipe(s, request) });
  },
  setDocProblem: (docProblem) => set({ docProblem }),
});
