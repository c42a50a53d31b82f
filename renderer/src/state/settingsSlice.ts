import type { StateCreator } from 'zustand';
import type { Settings } from '../../../engine/api/schemas.ts';
import type { StudioState } from './store.ts';

export interface SettingsSlice {
  settings: Settings | null;
  settingsError: string | null;
  settingsSaving: boolean;
  loadSettings(): Promise<void>;
  /** Saves a change; a new models folder rescans the list at once. */
  saveSettings(patch: Partial<Settings>): Promise<boolean>;
}

export const createSettingsSlice: StateCreator<StudioState, [], [], SettingsSlice> = (set, get) => ({
  settings: null,
  settingsError: null,
  settingsSaving: false,
  async loadSettings() {
    try {
      set({ settings: await get().connection.client['settings.get']({}), settingsError: null });
    } catch (e) {
      set({ settingsError: `Could not read the settings: ${(e as Error).message}` });
    }
  },
  async saveSettings(patch) {
    const before = get().settings;
    set({ settingsSaving: true, settingsError: null });
    try {
      const settings = await get().connection.client['settings.set'](patch);
      set({ settings });
      if (patch.modelsDir && patch.modelsDir !== before?.modelsDir) await get().refreshModels();
      return true;
    } catch (e) {
      set({ settingsError: `Not saved: ${(e as Error).message}` });
      return false;
    } finally {
      set({ settingsSaving: false });
    }
  },
});
