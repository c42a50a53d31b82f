import type { StateCreator } from 'zustand';
import { codeOf, hintFor } from '../api/errorHints.ts';
import { DEFAULT_STYLE, buildStylizeRequest, type StyleSettings } from '../editor/stylize.ts';
import type { Problem } from './documentSlice.ts';
import { newReference } from './imagePromptSlice.ts';
import { encodeCurrentMask } from './jobsSlice.ts';
import type { StudioState } from './store.ts';

/** StyleID style transfer of the source image: the style image and its settings. Not undoable, like the run panel. */
export interface StyleSlice {
  style: StyleSettings;
  /** A style file that could not be read, or a style image a restored recipe could not bring back. */
  styleProblem: Problem | null;
  setStyleImage(file: { blob: Blob; name: string }): Promise<void>;
  clearStyleImage(): void;
  setStyle(patch: Partial<Omit<StyleSettings, 'style'>>): void;
  setStyleProblem(problem: Problem | null): void;
  /** Queues `jobs.stylize` of the source with the style image, inside the painted mask if there is one. */
  runStylize(): Promise<string | null>;
}

export const createStyleSlice: StateCreator<StudioState, [], [], StyleSlice> = (set, get) => ({
  style: DEFAULT_STYLE,
  styleProblem: null,
  async setStyleImage(file) {
    set({ styleProblem: null });
    try {
      const loaded = await get().platform.loadImageFile(file.blob);
      set((s) => ({ style: { ...s.style, style: newReference({ input: { base64: loaded.base64 }, url: loaded.url, name: file.name }, 1) } }));
    } catch (e) {
      set({ styleProblem: { message: `${file.name} cannot be the style: ${(e as Error).message}`, hint: hintFor(codeOf(e) ?? 'IMAGE_INVALID') } });
    }
  },
  clearStyleImage: () => set((s) => ({ style: { ...s.style, style: null } })),
  setStyle: (patch) => set((s) => ({ style: { ...s.style, ...patch } })),
  setStyleProblem: (styleProblem) => set({ styleProblem }),
  runStylize() {
    const name = get().style.style?.name ?? '';
    return get().submitJob('stylize', async (s) => {
      const mask = await encodeCurrentMask(s);
      const request = buildStylizeRequest(s.run.model, s.style, { content: s.source?.input, mask, maskFeather: s.run.maskFeather });
      return { op: 'jobs.stylize', request };
    }, `Stylize · ${name}`);
  },
});
