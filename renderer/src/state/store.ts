import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StudioConnection } from '../api/client.ts';
import { createJobsSlice, type JobsSlice } from './jobsSlice.ts';
import { createModelsSlice, type ModelsSlice } from './modelsSlice.ts';

export interface ConnectionSlice {
  connection: StudioConnection;
}

export type StudioState = ConnectionSlice & ModelsSlice & JobsSlice;

/** One vanilla store from typed slices, so logic is testable without React. */
export function createStudioStore(connection: StudioConnection): StoreApi<StudioState> {
  const store = createStore<StudioState>()((...a) => ({
    connection,
    ...createModelsSlice(...a),
    ...createJobsSlice(...a),
  }));
  connection.onJobEvent((event) => store.getState().applyJobEvent(event));
  return store;
}

export function useStudio<T>(store: StoreApi<StudioState>, selector: (s: StudioState) => T): T {
  return useStore(store, selector);
}
