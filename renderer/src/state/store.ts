import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StudioConnection } from '../api/client.ts';
import type { Platform } from './platform.ts';
import { createAttentionSlice, type AttentionSlice } from './attentionSlice.ts';
import { createDocumentSlice, type DocumentSlice } from './documentSlice.ts';
import { createImagePromptSlice, type ImagePromptSlice } from './imagePromptSlice.ts';
import { createJobsSlice, type JobsSlice } from './jobsSlice.ts';
import { createMaskSlice, type MaskSlice } from './maskSlice.ts';
import { createModelsSlice, type ModelsSlice } from './modelsSlice.ts';
import { createResultsSlice, type ResultsSlice } from './resultsSlice.ts';
import { createRunSlice, type RunSlice } from './runSlice.ts';
import { createSettingsSlice, type SettingsSlice } from './settingsSlice.ts';
import { createStyleSlice, type StyleSlice } from './styleSlice.ts';

export interface ConnectionSlice {
  connection: StudioConnection;
  platform: Platform;
}

export type StudioState = ConnectionSlice & ModelsSlice & SettingsSlice & RunSlice & MaskSlice & DocumentSlice & JobsSlice & ResultsSlice & AttentionSlice & ImagePromptSlice & StyleSlice;

/** One vanilla store from typed slices, so logic is testable without React. */
export function createStudioStore(connection: StudioConnection, platform: Platform): StoreApi<StudioState> {
  const store = createStore<StudioState>()((...a) => ({
    connection,
    platform,
    ...createModelsSlice(...a),
    ...createSettingsSlice(...a),
    ...createRunSlice(...a),
    ...createMaskSlice(...a),
    ...createDocumentSlice(...a),
    ...createJobsSlice(...a),
    ...createResultsSlice(...a),
    ...createAttentionSlice(...a),
    ...createImagePromptSlice(...a),
    ...createStyleSlice(...a),
  }));
  connection.onJobEvent((event) => store.getState().applyJobEvent(event));
  return store;
}

export function useStudio<T>(store: StoreApi<StudioState>, selector: (s: StudioState) => T): T {
  return useStore(store, selector);
}
