import { useEffect } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { IS_MAC, issueCommand } from '../commands.ts';
import { displayName, imageFilesOf } from '../canvas/imageFiles.ts';
import { commandForKey } from '../editor/shortcuts.ts';
import type { StudioState } from '../state/store.ts';

function inTextField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['checkbox', 'radio', 'range', 'button', 'submit'].includes((el as HTMLInputElement).type);
}

/** Keyboard shortcuts, drag-and-drop and paste of images, anywhere in the window. */
export function useGlobalInput(store: StoreApi<StudioState>, setDragging: (on: boolean) => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented) return;
      // In Electron the native menu owns the Ctrl/Cmd shortcuts and sends them as commands; handling them here too would run them twice.
      if (window.studio?.onMenuCommand && (e.ctrlKey || e.metaKey)) return;
      const id = commandForKey(e, IS_MAC, inTextField(e.target));
      if (!id) return;
      e.preventDefault();
      issueCommand(id);
    };
    // A panel that took the image itself (the image-prompt and style pickers) marks the event handled.
    const onPaste = (e: ClipboardEvent): void => {
      if (e.defaultPrevented || inTextField(e.target)) return;
      const [file] = imageFilesOf(e.clipboardData?.items);
      if (!file) return;
      e.preventDefault();
      void store.getState().openImage(file, displayName(file));
    };
    const hasFiles = (e: DragEvent): boolean => Boolean(e.dataTransfer?.types.includes('Files'));
    const onDragOver = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      if (e.defaultPrevented) return setDragging(false);
      e.preventDefault();
      setDragging(true);
    };
    const onDragLeave = (e: DragEvent): void => {
      if (!e.relatedTarget) setDragging(false);
    };
    const onDrop = (e: DragEvent): void => {
      setDragging(false);
      if (!hasFiles(e) || e.defaultPrevented) return;
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (file) void store.getState().openImage(file, file.name);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('paste', onPaste);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [store, setDragging]);
}
