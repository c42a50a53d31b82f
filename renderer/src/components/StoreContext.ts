import { createContext, useContext } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStudio, type StudioState } from '../state/store.ts';

export const StoreContext = createContext<StoreApi<StudioState> | null>(null);

/** Selects from the studio store given by the nearest provider. */
export function useStudioState<T>(selector: (s: StudioState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return useStudio(store, selector);
}
