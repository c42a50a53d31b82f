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
const HELPER_FAMILIES = new Set(['taesd', 'ip-adapter', 'clip-vision', 't5-encoder', 'vae']);

/** Models usable for image jobs: loadable and not a helper file. */
export const isImageModel = (m: ModelEntry): boolean => Boolean(m.architecture) && !m.error && !HELPER_FAMILIES.has(m.architecture!.family);

/** The guidance scale a model's config recommends (a small model may want less than SD's 7.5). */
export const recommendedGuidance = (m: ModelEntry | undefined): number | undefined => {
  const g = m?.architecture?.details.guidanceScale;
  return typeof g === 'number' ? g : undefined;
};

/** Operations the engine refuses on a model (a DiT lists edit, attention, stylize, imagePrompts, tokenMerging). */
export const unsupportedOperations = (m: ModelEntry | undefined): string[] => {
  const u = m?.architecture?.details.unsupported;
  return Array.isArray(u) ? u.filter((v): v is string => typeof v === 'string') : [];
};

/** The sizes a model was trained at (PixArt's aspect-ratio buckets), [] when it lists none. */
export const modelSizes = (m: ModelEntry | undefined): Array<{ width: number; height: number }> => {
  const s = m?.architecture?.details.sizes;
  return Array.isArray(s) ? s.filter((v): v is { width: number; height: number } => typeof v?.width === 'number' && typeof v?.height === 'number') : [];
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
const runFor = (run: StudioState['run'], models: readonly ModelEntry[], model: string | null): StudioState['run'] => {
  if (model === run.model) return run;
  const entry = models.find((m) => m.path === model);
  // A DiT refuses token merging: switching to one turns it off rather than failing the next run.
  const tokenMerging = run.tokenMerging && !unsupportedOperations(entry).includes('tokenMerging');
  return { ...run, model, cfg: recommendedGuidance(entry) ?? run.cfg, tokenMerging };
};

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
