import { useEffect, useId, useState } from 'react';
import type { Settings } from '../../../../engine/api/schemas.ts';
import { hintFor } from '../../api/errorHints.ts';
import { desktopShell } from '../../api/shell.ts';
import { modelDisplayName, modelRole } from '../../editor/modelNames.ts';
import { isImageModel } from '../../state/modelsSlice.ts';
import { useStudioState } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { Dialog } from './Dialog.tsx';

const PROVIDERS: { id: Settings['executionProvider']; label: string }[] = [
  { id: 'auto', label: 'Automatic (best available)' },
  { id: 'cpu', label: 'CPU' },
  { id: 'cuda', label: 'NVIDIA CUDA' },
  { id: 'dml', label: 'DirectML (Windows)' },
  { id: 'coreml', label: 'Core ML (macOS)' },
];

function sizeText(bytes: number): string {
  return bytes > 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/** Models folder and its models (architecture or why they cannot load), execution provider, threads. */
export function SettingsDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ids = { dir: useId(), out: useId(), ep: useId(), threads: useId(), preview: useId() };
  const s = useStudioState((st) => ({
    settings: st.settings, settingsError: st.settingsError, saving: st.settingsSaving, saveSettings: st.saveSettings,
    models: st.models, modelsDir: st.modelsDir, modelsLoading: st.modelsLoading, modelsError: st.modelsError,
    refreshModels: st.refreshModels, selectModel: st.selectModel, selected: st.run.model,
  }));
  const [draft, setDraft] = useState<Settings | null>(s.settings);
  const shell = desktopShell();
  useEffect(() => {
    if (open) setDraft(s.settings);
  }, [open, s.settings]);
  const set = (patch: Partial<Settings>) => setDraft((d) => (d ? { ...d, ...patch } : d));
  const dirty = draft && s.settings && JSON.stringify(draft) !== JSON.stringify(s.settings);

  return (
    <Dialog open={open} title="Models & settings" onClose={onClose} testId="settings-dialog">
      {!draft ? (
        <ProblemNote problem={{ message: s.settingsError ?? 'Settings are loading…', hint: s.settingsError ? hintFor('RUNTIME_FAILURE') : '' }} />
      ) : (
        <form
          className="dialog-body settings"
          onSubmit={(e) => {
            e.preventDefault();
            void s.saveSettings(draft);
          }}
        >
          <div className="field">
            <label htmlFor={ids.dir}>Models folder</label>
            <div className="row">
              <input id={ids.dir} type="text" value={draft.modelsDir} onChange={(e) => set({ modelsDir: e.target.value })} spellCheck={false} data-testid="models-dir" />
              {shell && (
                <button
                  type="button"
                  onClick={() =>
                    void shell.pickFolder('Models folder').then((dir) => {
                      if (typeof dir === 'string') set({ modelsDir: dir });
                    })
                  }
                >
                  Choose…
                </button>
              )}
            </div>
          </div>
          <div className="field">
            <label htmlFor={ids.out}>Export folder</label>
            <input id={ids.out} type="text" value={draft.outputDir} onChange={(e) => set({ outputDir: e.target.value })} spellCheck={false} />
          </div>
          <div className="grid-3">
            <div className="field">
              <label htmlFor={ids.ep}>Execution provider</label>
              <select id={ids.ep} value={draft.executionProvider} onChange={(e) => set({ executionProvider: e.target.value as Settings['executionProvider'] })}>
                {PROVIDERS.map((p) => (
                  <option key={p.id} value={p.id}>{p.label}</option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={ids.threads}>Threads (0 = all cores)</label>
              <input id={ids.threads} type="number" min={0} max={256} value={draft.threads} onChange={(e) => set({ threads: Math.max(0, Math.min(256, Math.round(Number(e.target.value)) || 0)) })} />
            </div>
            <div className="field">
              <label htmlFor={ids.preview}>Preview every N steps</label>
              <input id={ids.preview} type="number" min={0} max={1000} value={draft.previewEvery} onChange={(e) => set({ previewEvery: Math.max(0, Math.round(Number(e.target.value)) || 0) })} />
            </div>
          </div>
          <div className="dialog-actions">
            <button type="submit" className="primary" disabled={!dirty || s.saving}>
              {s.saving ? 'Saving…' : 'Save settings'}
            </button>
          </div>
          <ProblemNote problem={s.settingsError ? { message: s.settingsError, hint: 'Check that the folder exists and is readable, then save again.' } : null} />

          <div className="models-head">
            <h3>Models in {s.modelsDir ?? 'the folder'}</h3>
            <button type="button" className="small" onClick={() => void s.refreshModels()} disabled={s.modelsLoading}>
              {s.modelsLoading ? 'Scanning…' : 'Rescan'}
            </button>
          </div>
          <ProblemNote problem={s.modelsError ? { message: s.modelsError, hint: 'Choose an existing folder above and save.' } : null} />
          {!s.modelsLoading && s.models.length === 0 && !s.modelsError && <p className="muted">No models in this folder. Put .safetensors checkpoints or diffusers folders in it.</p>}
          <ul className="model-list">
            {s.models.map((m) => (
              <li key={m.path} data-testid="model-item" className={m.error ? 'model unusable' : 'model'}>
                <label>
                  <input type="radio" name="model" checked={s.selected === m.path} disabled={!isImageModel(m)} onChange={() => s.selectModel(m.path)} />
                  <span className="model-name" data-testid="model-name">{modelDisplayName(m, s.modelsDir)}</span>
                  <span className="model-role small" data-testid="model-role">{modelRole(m)}</span>
                  <span className="muted small">{sizeText(m.sizeBytes)}</span>
                </label>
                {m.architecture && <p className="small model-arch">{m.architecture.summary}</p>}
                {m.error && (
                  <p className="small error" role="note">
                    Cannot load: {m.error.message} <span className="muted">({hintFor(m.error.code)})</span>
                  </p>
                )}
              </li>
            ))}
          </ul>
        </form>
      )}
    </Dialog>
  );
}
