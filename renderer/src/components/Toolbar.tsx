import { IS_MAC, issueCommand } from '../commands.ts';
import { withShortcut } from '../editor/shortcuts.ts';
import type { CompareView } from '../state/documentSlice.ts';
import { useStudioState } from './StoreContext.ts';
import { Icon } from './ui/Icon.tsx';
import { RadioGroup, type RadioOption } from './ui/RadioGroup.tsx';

const VIEWS: RadioOption<CompareView>[] = [
  { id: 'before', content: 'Before', title: 'Show before only (X swaps)' },
  { id: 'split', content: 'Split', title: withShortcut('view.swap', IS_MAC, 'Split view: drag the divider') },
  { id: 'after', content: 'After', title: 'Show after only (X swaps)' },
];

/** The app bar: file, edit and view commands (the same ids as the shortcuts and Electron's menu). */
export function Toolbar({ onSettings }: { onSettings(): void }) {
  const { canUndo, canRedo, hasImage, hasResult, compareView, setCompare, transport } = useStudioState((s) => ({
    canUndo: s.canUndo, canRedo: s.canRedo, hasImage: Boolean(s.source), hasResult: Boolean(s.result),
    compareView: s.compareView, setCompare: s.setCompare, transport: s.connection.transport,
  }));
  return (
    <header className="topbar">
      <h1 className="brand">Latent Studio</h1>
      <nav className="toolbar" aria-label="Commands">
        <div className="group" role="group" aria-label="File">
          <button onClick={() => issueCommand('file.open')} title={withShortcut('file.open', IS_MAC)}>
            <Icon name="open" /> Open…
          </button>
          <button onClick={() => issueCommand('file.export')} disabled={!hasImage} title={withShortcut('file.export', IS_MAC)}>
            <Icon name="export" /> Export…
          </button>
        </div>
        <div className="group" role="group" aria-label="Edit">
          <button className="icon-only" onClick={() => issueCommand('edit.undo')} disabled={!canUndo} title={withShortcut('edit.undo', IS_MAC, 'Undo mask edit')} aria-label="Undo">
            <Icon name="undo" />
          </button>
          <button className="icon-only" onClick={() => issueCommand('edit.redo')} disabled={!canRedo} title={withShortcut('edit.redo', IS_MAC, 'Redo mask edit')} aria-label="Redo">
            <Icon name="redo" />
          </button>
        </div>
        <div className="group" role="group" aria-label="View">
          <button onClick={() => issueCommand('view.fit')} disabled={!hasImage} title={withShortcut('view.fit', IS_MAC)}>
            <Icon name="fit" /> Fit
          </button>
          <button onClick={() => issueCommand('view.actual')} disabled={!hasImage} title={withShortcut('view.actual', IS_MAC)}>
            100%
          </button>
        </div>
        <RadioGroup
          label="Compare before and after"
          className="group segmented"
          options={VIEWS}
          value={compareView}
          disabled={!hasResult}
          onChange={(v) => setCompare({ compareView: v })}
        />
      </nav>
      <div className="topbar-end">
        <span className="muted small">{transport === 'ipc' ? 'Desktop' : 'Local server'}</span>
        <button className="icon-only" onClick={() => issueCommand('help.shortcuts')} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          ?
        </button>
        <button onClick={onSettings} title="Models folder, execution provider and threads">
          <Icon name="settings" /> Models & settings
        </button>
      </div>
    </header>
  );
}
