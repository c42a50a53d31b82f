import type { StateCreator } from 'zustand';
import type { ModelEntry } from '../../../engine/api/schemas.ts';
import type { StudioState } from './store.ts';

export interface ModelsSlice {
  modelsDir: string | null;
  models: ModelEntry[];
  selectedModel: string | null;
  modelsLoading: boolean;
  modelsError: string | null;
  refreshModels(): Promise<void>;
  selectModel(path: string): void;
}

export const createModelsSlice: StateCreator<StudioState, [], [], ModelsSlice> = (set, get) => ({
  modelsDir: null,
  models: [],
  selectedModel: null,
  modelsLoading: false,
  modelsError: null,
  async refreshModels() {
    set({ modelsLoading: true, modelsError: null });
    try {
      const { dir, models } = await get().connection.client['models.list']({});
      const usable = models.find((m) => m.architecture && m.architecture.family !== 'taesd');
      const keep = models.some((m) => m.path === get().selectedModel);
      set({ modelsDir: dir, models, selectedModel: keep ? get().selectedModel : (usable?.path ?? null) });
    } catch (e) {
      set({ modelsError: (e as Error).message });
    } finally {
      set({ modelsLoading: false });
    }
  },
  selectModel(path) {
    set({ selectedModel: path });
  },
});
