import { useEffect } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import type { StudioState } from '../state/store.ts';
import { GeneratePanel } from './GeneratePanel.tsx';
import { JobList } from './JobList.tsx';
import { ModelList } from './ModelList.tsx';
import { StoreContext } from './StoreContext.ts';

export function App({ store }: { store: StoreApi<StudioState> }) {
  useEffect(() => {
    void store.getState().refreshModels();
  }, [store]);
  const connection = store.getState().connection;
  return (
    <StoreContext.Provider value={store}>
      <div className="app">
        <header className="topbar">
          <h1>Latent Studio</h1>
          <span className="muted small">connected over {connection.transport === 'ipc' ? 'Electron IPC' : 'local server'}</span>
        </header>
        <main className="layout">
          <ModelList />
          <GeneratePanel />
          <JobList imageUrl={connection.imageUrl} />
        </main>
      </div>
    </StoreContext.Provider>
  );
}
