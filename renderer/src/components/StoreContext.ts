import { createContext, useContext } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useShallow } from 'zustand/react/shallow';
import { useStudio, type StudioState } from '../state/store.ts';

export const StoreContext = createContext<StoreApi<StudioState> | null>(null);

export function useStudioStore(): StoreApi<StudioState> {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return store;
}

/**
 * Selects from the studio store with shallow comparison, so a component re-renders only
 * when what it picked changed (progress events arrive many times a second during a run).
 */
export function useStudioState<T>(selector: (s: StudioState) => T): T {
  return useStudio(useStudioStore(), useShallow(selector));
}
