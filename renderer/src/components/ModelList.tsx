import { useStudioState } from './StoreContext.ts';

export function ModelList() {
  const { models, modelsDir, selectedModel, modelsLoading, modelsError, selectModel, refreshModels } = useStudioState((s) => s);
  return (
    <section className="panel" aria-label="Models">
      <header className="panel-head">
        <h2>Models</h2>
        <button onClick={() => void refreshModels()} disabled={modelsLoading}>
          {modelsLoading ? 'Scanning…' : 'Rescan'}
        </button>
      </header>
      {modelsDir && <p className="muted small" title={modelsDir}>{modelsDir}</p>}
      {modelsError && <p role="alert" className="error">{modelsError}</p>}
      {!modelsLoading && models.length === 0 && !modelsError && <p className="muted">No models in this folder.</p>}
      <ul className="model-list">
        {models.map((m) => (
          <li key={m.path} data-testid="model-item">
            <label className={m.error ? 'model unusable' : 'model'}>
              <input
                type="radio"
                name="model"
                checked={selectedModel === m.path}
                disabled={!m.architecture}
                onChange={() => selectModel(m.path)}
              />
              <span className="model-name">{m.name}</span>
              <span className="muted small">{m.architecture ? m.architecture.summary : `${m.error?.code}: ${m.error?.message}`}</span>
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}
