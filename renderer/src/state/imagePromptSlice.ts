import type { StateCreator } from 'zustand';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { DEFAULT_IMAGE_PROMPT, MAX_IMAGE_PROMPTS, suggestedScale, type BlockPreset, type ImagePromptSettings, type ReferenceImage } from '../editor/imagePrompt.ts';
import type { Problem } from './documentSlice.ts';
import type { StudioState } from './store.ts';

/**
 * The image-prompt panel: IP-Adapter reference images with their scales, the adapter and the
 * InstantStyle preset. Settings like the run panel's: not in the undo history.
 */
export interface ImagePromptSlice {
  imagePrompt: ImagePromptSettings;
  /** A file that could not be added, or what a restored recipe could not bring back. */
  imagePromptProblem: Problem | null;
  addReferenceImages(files: { blob: Blob; name: string }[]): Promise<void>;
  removeReferenceImage(key: string): void;
  setReferenceScale(key: string, scale: number): void;
  setImagePrompt(patch: Partial<Omit<ImagePromptSettings, 'images'>>): void;
  setBlockPreset(preset: BlockPreset): void;
  setImagePromptProblem(problem: Problem | null): void;
}

let nextKey = 0;

/** A reference image with a list key unique for the session (the same file may be added twice). */
export const newReference = (image: Omit<ReferenceImage, 'key' | 'scale'>, scale: number): ReferenceImage => ({ key: `ref-${++nextKey}`, ...image, scale });

export const createImagePromptSlice: StateCreator<StudioState, [], [], ImagePromptSlice> = (set, get) => ({
  imagePrompt: DEFAULT_IMAGE_PROMPT,
  imagePromptProblem: null,
  async addReferenceImages(files) {
    set({ imagePromptProblem: null });
    const room = MAX_IMAGE_PROMPTS - get().imagePrompt.images.length;
    if (files.length > room) {
      set({ imagePromptProblem: { message: `Up to ${MAX_IMAGE_PROMPTS} reference images: ${room ? `only the first ${room} were added` : 'none was added'}.`, hint: 'Remove one to add another.' } });
    }
    for (const file of files.slice(0, Math.max(0, room))) {
      try {
        const loaded = await get().platform.loadImageFile(file.blob);
        const image = newReference({ input: { base64: loaded.base64 }, url: loaded.url, name: file.name }, suggestedScale(get().prompt.targetPrompt));
        set((s) => ({ imagePrompt: { ...s.imagePrompt, images: [...s.imagePrompt.images, image].slice(0, MAX_IMAGE_PROMPTS) } }));
      } catch (e) {
        set({ imagePromptProblem: { message: `${file.name} was not added: ${(e as Error).message}`, hint: hintFor(codeOf(e) ?? 'IMAGE_INVALID') } });
      }
    }
  },
  removeReferenceImage: (key) => set((s) => ({ imagePrompt: { ...s.imagePrompt, images: s.imagePrompt.images.filter((i) => i.key !== key) } })),
  setReferenceScale: (key, scale) =>
    set((s) => ({ imagePrompt: { ...s.imagePrompt, images: s.imagePrompt.images.map((i) => (i.key === key ? { ...i, scale } : i)) } })),
  setImagePrompt: (patch) => set((s) => ({ imagePrompt: { ...s.imagePrompt, ...patch } })),
  // Choosing a preset replaces per-block scales a recipe brought in.
  setBlockPreset: (preset) => set((s) => ({ imagePrompt: { ...s.imagePrompt, preset, customBlocks: null } })),
  setImagePromptProblem: (imagePromptProblem) => set({ imagePromptProblem }),
});
