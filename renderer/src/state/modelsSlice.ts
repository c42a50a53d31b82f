import type { StateCreator } from 'zustand';
import type { LoraEntry, ModelEntry } from '../../../engine/api/schemas.ts';
import type { StudioState } from './store.ts';

export interface ModelsSlice {
  modelsDir: string | null;
  models: ModelEntry[];
  /** LoRA files of the models folder, for the run panel's picker. */
  loras: LoraEntry[];
  modelsLoading: boolean;
  modelsError: string | null;
  refreshModels(): Promise<void>;
  selectModel(path: string): void;
}

/** Files in the models folder that help a model but are not one: preview decoders, image adapters and encoders. */
const HELPER_FAMILIES = new Set(['taesd', 'ip-adapter', 'clip-vision']);

/** Models usable for image jobs: loadable and not a helper file. */
export const isImageModel = (m: ModelEntry): boolean => Boolean(m.architecture) && !m.error && !HELPER_FAMILIES.has(m.architecture!.family);

/** The guidance scale a model's config recommends (a small model may want less than SD's 7.5). */
export const recommendedGuidance = (m: ModelEntry | undefined): number | undefined => {
  const g = m?.architecture?.details.guidanceScale;
  return typeof g === 'number' ? g : undefined;
};

/** What attention maps of a model can be: pixels per latent cell and the latent downsamplings with cross-attention. */
export interface AttentionGrid {
  factor: number;
  resolutions: readonly number[];
}

/** SD 1.x's when the model does not say: f8, cross-attention at 1, 2 and 4. */
export const attentionGridOf = (m: ModelEntry | undefined): AttentionGrid => {
  const details = m?.architecture?.details;
  const f = details?.latentFactor;
  const r = (details?.unet as { attentionResolutions?: unknown } | undefined)?.attentionResolutions;
  const resolutions = Array.isArray(r) && r.length && r.every((v) => typeof v === 'number') ? (r as number[]) : [1, 2, 4];
  return { factor: typeof f === 'number' ? f : 8, resolutions };
};

/** The run settings for another model: its recommended guidance replaces the last model's. */
const runFor = (run: StudioState['run'], models: readonly ModelEntry[], model: string | null): StudioState['run'] =>
  model === run.model ? run : { ...run, model, cfg: recommendedGuidance(models.find((m) => m.path === model)) ?? run.cfg };

/** The loadable IP-Adapter files, for the image-prompt panel. */
export const ipAdapterEntries = (models: readonly ModelEntry[]): ModelEntry[] => models.filter((m) => m.architecture?.family === 'ip-adapter' && !m.error);

/** Their paths. */
export const listedIpAdapters = (models: readonly ModelEntry[]): string[] => ipAdapterEntries(models).map((m) => m.path);

export const createModelsSlice: StateCreator<StudioState, [], [], ModelsSlice> = (set, get) => ({
  modelsDir: null,
  models: [],
  loras: [],
  modelsLoading: false,
  modelsError: null,
  async refreshModels() {
    set({ modelsLoading: true, modelsError: null });
    try {
      const { dir, models, loras = [] } = await get().connection.client['models.list']({});
      const current = get().run.model;
      const keep = models.some((m) => m.path === current && isImageModel(m));
      const model = keep ? current : (models.find(isImageModel)?.path ?? null);
      set((s) => ({ modelsDir: dir, models, loras, run: runFor(s.run, models, model) }));
    } catch (e) {
      set({ modelsError: `Could not list the models: ${(e as Error).message}` });
    } finally {
      set({ modelsLoading: false });
    }
  },
  selectModel(path) {
    set((s) => ({ run: runFor(s.run, s.models, path) }));
  },
});
