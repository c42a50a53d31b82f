import { useEffect, useRef, useState } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { desktopShell, openWithDesktopDialog } from '../api/shell.ts';
import { onCommand, issueCommand } from '../commands.ts';
import { diffWords } from '../editor/promptDiff.ts';
import { parsePrompt } from '../editor/promptWords.ts';
import type { CommandId } from '../editor/shortcuts.ts';
import type { StudioState } from '../state/store.ts';
import { CanvasView } from './canvas/CanvasView.tsx';
import { PinToggle } from './canvas/PinToggle.tsx';
import { ExportDialog } from './dialogs/ExportDialog.tsx';
import { SettingsDialog } from './dialogs/SettingsDialog.tsx';
import { ShortcutsDialog } from './dialogs/ShortcutsDialog.tsx';
import { HistoryStrip } from './history/HistoryStrip.tsx';
import { ImagePromptPanel } from './imagePrompt/ImagePromptPanel.tsx';
import { PromptEditor } from './prompt/PromptEditor.tsx';
import { RecipeBanner } from './RecipeBanner.tsx';
import { JobQueue } from './run/JobQueue.tsx';
import { RunBar } from './run/RunBar.tsx';
import { RunPanel } from './run/RunPanel.tsx';
import { StoreContext, useStudioState } from './StoreContext.ts';
import { StylePanel } from './style/StylePanel.tsx';
import { Toolbar } from './Toolbar.tsx';
import { ToolPanel } from './ToolPanel.tsx';
import { ProblemNote } from './ui/ProblemNote.tsx';
import { useGlobalInput } from './useGlobalInput.ts';

function editingText(): boolean {
  const el = document.activeElement as HTMLElement | null;
  return Boolean(el && (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'text') || el.isContentEditable));
}

/** Commands that act on the store; view commands are handled by the canvas itself. */
function runStoreCommand(store: StoreApi<StudioState>, id: CommandId): void {
  const s = store.getState();
  switch (id) {
    case 'tool.brush': return s.setTool('brush');
    case 'tool.eraser': return s.setTool('eraser');
    case 'brush.smaller': return s.stepBrush(false);
    case 'brush.bigger': return s.stepBrush(true);
    case 'view.swap': return s.swapCompare();
    // From Electron's menu with the focus in a text field, undo means the field's own undo.
    case 'edit.undo': return editingText() ? void document.execCommand('undo') : s.maskCommand('undo');
    case 'edit.redo': return editingText() ? void document.execCommand('redo') : s.maskCommand('redo');
    case 'job.run': {
      const changed = diffWords(parsePrompt(s.prompt.sourcePrompt), parsePrompt(s.prompt.targetPrompt)).some((d) => d.kind !== 'same');
      void s.runJob(s.source && changed ? 'edit' : 'generate');
      return;
    }
    default:
  }
}

function Workspace() {
  const { docProblem, setDocProblem } = useStudioState((s) => ({ docProblem: s.docProblem, setDocProblem: s.setDocProblem }));
  return (
    <div className="workspace">
      <ToolPanel />
      <main className="canvas-area" aria-label="Canvas">
        <ProblemNote problem={docProblem} onDismiss={() => setDocProblem(null)} />
        <CanvasView />
        <PinToggle />
      </main>
      <aside className="sidebar" aria-label="Prompt and run">
        <div className="sidebar-scroll">
          <PromptEditor />
          <ImagePromptPanel />
          <RunPanel />
          <StylePanel />
        </div>
        <RunBar />
      </aside>
    </div>
  );
}

export function App({ store }: { store: StoreApi<StudioState> }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [exportOpen, setExportOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    void store.getState().loadSettings();
    void store.getState().refreshModels();
  }, [store]);

  useEffect(
    () =>
      onCommand((id) => {
        if (id === 'file.open') {
          // In Electron a menu command carries no user gesture, so the file input could not open: use the native dialog.
          const shell = desktopShell();
          if (!shell) return fileInput.current?.click();
          void openWithDesktopDialog(shell)
            .then((f) => f && store.getState().openImage(f.blob, f.name))
            .catch((e: Error) => store.getState().setDocProblem({ message: `Could not open the image: ${e.message}`, hint: 'Choose a PNG, JPEG or WebP file.' }));
        }
        else if (id === 'file.export') setExportOpen(true);
        else if (id === 'help.shortcuts') setShortcutsOpen(true);
        else runStoreCommand(store, id);
      }),
    [store],
  );

  // Electron's native menu issues the same commands through the preload bridge.
  useEffect(() => window.studio?.onMenuCommand?.((id) => issueCommand(id as CommandId)), []);

  useGlobalInput(store, setDragging);

  return (
    <StoreContext.Provider value={store}>
      <div className="app">
        <Toolbar onSettings={() => setSettingsOpen(true)} />
        <RecipeBanner />
        <Workspace />
        <div className="dock">
          <HistoryStrip />
          <JobQueue />
        </div>
        <ExportDialog open={exportOpen} onClose={() => setExportOpen(false)} />
        <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
        <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
        <input
          ref={fileInput}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          hidden
          data-testid="open-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void store.getState().openImage(file, file.name);
            e.target.value = '';
          }}
        />
        {dragging && <div className="drop-overlay" aria-hidden="true">Drop the image to open it</div>}
      </div>
    </StoreContext.Provider>
  );
}
